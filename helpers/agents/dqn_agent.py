"""The DQN as an agent a learner steers live: sliders for α, γ, ε and the learning rate.

    agent = DQNAgent.create(seed=0)          # CartPole-v1, the kit's Go library, default Settings
    Dashboard(agent)                          # Start, then watch the return climb to the solved line
    agent.play_greedy()                       # an animation of one greedy episode: see the pole balance

One step of the lifecycle is `chunk` environment steps (256: one training
phase). At the end of a chunk that reaches a multiple of `eval_every`
(2,560: every tenth chunk) the greedy policy plays 10 episodes on fixed
seeds, in environments of its own; solved = their mean reaches 475. Nothing
trains between that evaluation and the end of the step, so the model that
was evaluated is the one a stop or a save finds.
"""

from __future__ import annotations

import dataclasses
import io
import time

import gymnasium as gym
import numpy as np

from helpers.agents.dqn import DQN, EVAL_SEEDS, Settings, epsilon_at, forward, greedy_returns
from helpers.agents.envs import action_names, watch
from helpers.agents.qnet import load_model
from helpers.bridge import golib
from helpers.core.knobs import NAMES, Hyperparams, check_size
from helpers.runs import runstore
from helpers.runs.history import History
from helpers.runs.steerable import Steerable, rate_text

RANDOM_POLICY_RETURN = 22.0  # CartPole-v1: a random policy's mean return (measured in the tests)


class DQNAgent(Steerable):
    """A DQN on a gymnasium environment with discrete actions, steerable while it trains."""

    def __init__(self, settings: Settings | None = None, *, env_id: str = "CartPole-v1", lib=None, seed: int = 0,
                 chunk: int = 256, params: Hyperparams | None = None):
        settings = settings or Settings()
        self.settings, self.env_id, self.lib = settings, env_id, lib or golib.load()
        self.seed, self.chunk = check_size("seed", seed), check_size("steps", chunk)
        self.samples_per_step = self.chunk
        self.history = History(n_actions=2)
        params = params or Hyperparams(**{name: getattr(settings, name) for name in NAMES})  # the sliders start there
        super().__init__(params)
        self._rebuild()

    @classmethod
    def create(cls, *, seed: int = 0, lib=None, **settings) -> DQNAgent:
        """A DQN on CartPole-v1 with the default Settings, changed by keyword (e.g. epsilon=0.1, replay=False)."""
        return cls(Settings(**settings), lib=lib, seed=seed)

    def _rebuild(self) -> None:
        self.dqn = DQN(gym.make(self.env_id), self.lib, self.settings, seed=self.seed)
        self.evals: list[tuple[int, float, float]] = []  # (environment step, greedy mean, std)
        self.eval_times: list[tuple[int, float, float, float]] = []  # (step, mean, std, seconds of training)
        self.solved_step: int | None = None
        self._t0 = None

    # -- one step of the lifecycle: `chunk` environment steps -----------------------------------

    def _one_step(self, p: dict) -> dict:
        """`chunk` environment steps with this step's knobs, an evaluation if one is due; the step's record."""
        if self._t0 is None:
            self._t0 = time.perf_counter()
        self.dqn.model.optimizer.learning_rate.assign(p["learning_rate"])
        for _ in range(self.chunk):
            self.dqn.step(p["alpha"], p["gamma"], p["epsilon"])
        every = self.settings.eval_every
        if self.dqn.global_step // every > (self.dqn.global_step - self.chunk) // every:
            self._evaluate()  # after the chunk's training phase: the model a stop now saves
        finished, self.dqn.finished = self.dqn.finished, []
        return dict(episode=self.dqn.episode, samples=self.dqn.global_step, time=time.perf_counter() - self._t0,
                    loss=self.dqn.last_loss, q_mean=self.dqn.last_q, epsilon=self.epsilon_now,
                    episode_return=float(np.mean([r for _, r in finished])) if finished else np.nan)

    def _evaluate(self) -> None:
        returns = greedy_returns(self.dqn.online, lambda: gym.make(self.env_id), EVAL_SEEDS)
        self.evals.append((self.dqn.global_step, float(returns.mean()), float(returns.std())))
        self.eval_times.append((*self.evals[-1], time.perf_counter() - self._t0))
        if self.solved_step is None and returns.mean() >= self.settings.solved_at:
            self.solved_step = self.dqn.global_step

    @property
    def epsilon_now(self) -> float:
        return epsilon_at(self.settings, self.dqn.global_step, self._values["epsilon"])

    def config(self) -> dict:
        """What a saved run records besides the model and the history."""
        s = self.settings
        return dict(env=self.env_id, seed=self.seed, chunk=self.chunk, hidden=list(s.hidden), batch_size=s.batch_size,
                    step_count=self._step_count, episode=self._episode, env_steps=self.dqn.global_step,
                    solved_step=self.solved_step, evals=[list(e) for e in self.evals], axis="samples",
                    settings={**dataclasses.asdict(s), "hidden": list(s.hidden)}, **self._values)

    model_loader = staticmethod(load_model)
    saved_sizes = {"chunk": "steps"}

    def _saved(self) -> dict:
        return {"model": self.dqn.model}  # the replay buffer is not kept

    @classmethod
    def _from_run(cls, run, lib) -> DQNAgent:
        """The saved network (optimizer state included) and counters; the replay buffer starts empty, Q̄ as a
        copy of the network, and the environment at a new episode."""
        c = run.config
        settings = Settings(**{**c["settings"], "hidden": tuple(c["settings"]["hidden"])})
        agent = cls(settings, env_id=c["env"], lib=lib, seed=c["seed"], chunk=c["chunk"],
                    params=Hyperparams(**{name: c[name] for name in NAMES}))
        dqn, path = agent.dqn, run.path / "model.keras"
        runstore.expect(path, "the network's layer widths", [int(w.shape[-1]) for w in run.model.get_weights()[::2]],
                        [int(w.shape[-1]) for w in dqn.model.get_weights()[::2]])
        runstore.expect(path, "the network's input size", run.model.input_shape[-1], dqn.model.input_shape[-1])
        dqn.model.set_weights(run.model.get_weights())
        for mine, saved in zip(dqn.model.optimizer.variables, run.model.optimizer.variables):
            mine.assign(saved)
        dqn.online = dqn.read_weights()
        dqn.target = [w.copy() for w in dqn.online]
        dqn.global_step, dqn.episode = c["env_steps"], c["episode"]
        agent.evals = [tuple(e) for e in c["evals"]]
        agent.solved_step = c["solved_step"]
        return agent

    # -- what the dashboard shows ----------------------------------------------------------------

    def frame_key(self):
        return (*super().frame_key(), len(self.evals))

    def snapshot(self, max_rows: int | None = None) -> dict:
        snap = super().snapshot(max_rows)
        snap["step"] = snap["samples"]  # the x axis: environment steps (a lifecycle step is `chunk` of them)
        snap["changes"] = [(step * self.chunk, name, old, new) for step, name, old, new in snap["changes"]]
        snap["evals"], snap["count"] = list(self.evals), self.dqn.global_step
        return snap

    def figure_spec(self) -> dict:
        return {"kind": "training", "title": f"DQN on {self.env_id}", "action_names": action_names(self.env_id),
                "xlabel": "environment step", "returns": True, "solved": self.settings.solved_at}

    def status_items(self) -> list[tuple[str, str]]:
        last = f"{self.evals[-1][1]:.0f} ± {self.evals[-1][2]:.0f}" if self.evals else "—"
        solved = f"at step {self.solved_step:,}" if self.solved_step else "not yet"
        return [("env step", f"{self.dqn.global_step:,}"), ("episode", f"{self._episode:,}"),
                ("ε now", f"{self.epsilon_now:.2f}"), ("greedy return", last), ("solved", solved),
                ("steps/s", rate_text(self.samples_per_second))]

    # -- watch it play ----------------------------------------------------------------------------

    def play_greedy(self, seed: int = 0, every: int = 2, scale: float = 0.5):
        """One greedy episode as an animated GIF (frames from envs.watch: CartPole drawn by the kit): see it balance."""
        from IPython.display import Image  # noqa: PLC0415 - only to watch: headless runs never load IPython

        env, frame = watch(self.env_id)
        obs, frames, done, total = env.reset(seed=seed)[0], [], False, 0.0
        while not done:
            if len(frames) < 1000 and (total % every == 0):
                image = frame()
                frames.append(image.resize((int(image.width * scale), int(image.height * scale))))
            obs, r, terminated, truncated, _ = env.step(int(np.argmax(forward(self.dqn.online, obs[None])[0])))
            total, done = total + r, terminated or truncated
        env.close()
        buf = io.BytesIO()
        frames[0].save(buf, format="gif", save_all=True, append_images=frames[1:], duration=40 * every, loop=0)
        print(f"greedy episode (seed {seed}): return {total:.0f}")
        # frames stored at `scale` (a small file), shown at the environment's own size: 600 x 400 on a projector
        return Image(data=buf.getvalue(), format="gif", width=round(frames[0].width / scale))
