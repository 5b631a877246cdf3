"""The article's workflow, batched and compiled, steerable while it runs.

    t = Trainer.create(env="CartPole-v1", alpha=0.5, gamma=0.9, seed=0)
    t.start()                 # a background thread; returns at once
    t.params.alpha = 0.2      # from any thread: used from the next step, recorded in t.history.changes
    t.pause(); t.resume(); t.stop()
    t.save("runs/cartpole"); t2 = Trainer.load("runs/cartpole")

A "step" is one batch of ``batch_size`` transitions (one from each copy of the
environment) -> Go's targets ``q + alpha * (r + gamma * max Q(s') - q)`` -> one
Adam step on the MSE between the network's Q-values and those targets. The
Trainer is handed its model, environments and Go library (``create`` builds
the usual ones); its lifecycle is a ``runs.lifecycle.Runner``.
"""

from __future__ import annotations

import time

import numpy as np

from helpers.agents.envs import RANDOM, action_names, make_env
from helpers.agents.qnet import build_q_network, load_model, tf
from helpers.agents.train_step import make_train_step
from helpers.bridge import golib
from helpers.core.knobs import NAMES, SPECS, Hyperparams, check_size
from helpers.runs import runstore
from helpers.runs.history import History
from helpers.runs.steerable import Steerable, running_agents


def running_trainers() -> list[Trainer]:
    """Trainers whose background thread is alive in this process."""
    return [a for a in running_agents() if isinstance(a, Trainer)]


def stop_all(timeout: float = 10) -> int:
    """Stop every trainer running in the background; return how many were stopped."""
    trainers = running_trainers()
    for t in trainers:
        t.stop(timeout=timeout)
    return len(trainers)


class Trainer(Steerable):
    """Train a Q-network on a batch of environments, one compiled step at a time."""

    def __init__(self, model, envs, *, lib=None, params: Hyperparams | None = None, seed: int | None = 0,
                 env_id: str = "", hidden: int | None = None):
        self.model, self._env, self.lib = model, envs, lib or golib.load()
        self.seed = None if seed is None else check_size("seed", seed)
        self.env_id, self.hidden = env_id, hidden or model.layers[0].units
        self.batch_size = self.samples_per_step = envs.num_envs
        self.n_features = envs.single_observation_space.shape[0]
        self.n_actions = int(envs.single_action_space.n)
        self.history = History(n_actions=self.n_actions)
        self._initial_weights = model.get_weights()  # reset() returns here
        super().__init__(params)
        self._compile_step()
        self._reset_env()

    @classmethod
    def create(cls, env: str = "CartPole-v1", alpha: float = SPECS["alpha"].default,
               gamma: float = SPECS["gamma"].default, epsilon: float = SPECS["epsilon"].default,
               learning_rate: float = SPECS["learning_rate"].default, batch_size: int = 32, seed: int | None = 0,
               lib=None, hidden: int = 32) -> Trainer:
        """The usual parts: batch_size copies of env, the article's network (seeded), the kit's Go library."""
        params = Hyperparams(alpha=alpha, gamma=gamma, epsilon=epsilon, learning_rate=learning_rate)
        envs = make_env(env, check_size("batch_size", batch_size))
        if seed is not None:
            check_size("seed", seed)
        model = build_q_network(envs.single_observation_space.shape[0], int(envs.single_action_space.n),
                                check_size("hidden", hidden), learning_rate, seed=seed)
        return cls(model, envs, lib=lib, params=params, seed=seed, env_id=env, hidden=hidden)

    def __repr__(self) -> str:
        return (f"<Trainer {self.env_id} {self.status}: step {self.step_count}, episode {self.episode}, "
                f"{self.params!r}>")

    @property
    def trace_count(self) -> int:
        """How many times the training step was traced (1 after the first step, whatever the sliders do)."""
        return self._step_fn.experimental_get_tracing_count()

    def figure_spec(self) -> dict:
        """The article's two panels, plus episode returns when the environment has episodes."""
        return {"kind": "training", "title": self.env_id, "action_names": action_names(self.env_id),
                "returns": self.env_id != RANDOM}

    # -- building --

    def _compile_step(self) -> None:
        """The optimizer's variables, alpha and gamma as tf.Variables, and the one-graph training step."""
        self.model.optimizer.build(self.model.trainable_variables)
        values = self._values
        self._alpha = tf.Variable(values["alpha"], dtype=tf.float64, trainable=False, name="alpha")
        self._gamma = tf.Variable(values["gamma"], dtype=tf.float64, trainable=False, name="gamma")
        self._assigned = {"alpha": values["alpha"], "gamma": values["gamma"],
                          "learning_rate": float(self.model.optimizer.learning_rate.numpy())}
        self._step_fn = make_train_step(self.model, self.lib, self._alpha, self._gamma, self.n_features)
        # Traced once, here. Calling the concrete graph skips tf.function's argument matching (~0.2 ms a step).
        self._graph = self._step_fn.get_concrete_function()

    def _reset_env(self) -> None:
        self._obs, _ = self._env.reset(seed=self.seed)
        self._rng = np.random.default_rng(self.seed)
        self._q_act = self.model(self._obs, training=False).numpy()
        self._returns = np.zeros(self.batch_size)
        self._prev_done = np.zeros(self.batch_size, dtype=bool)
        self._t0 = None

    # -- one step --

    def _assign(self, p: dict) -> None:
        """This step's knobs into the graph; assign() moves a value without retracing it."""
        for name, var in (("alpha", self._alpha), ("gamma", self._gamma),
                          ("learning_rate", self.model.optimizer.learning_rate)):
            if self._assigned[name] != p[name]:
                var.assign(p[name])
                self._assigned[name] = p[name]

    def _act(self, epsilon: float) -> np.ndarray:
        """Epsilon-greedy actions for the current states."""
        actions = np.argmax(self._q_act, axis=1)
        explore = self._rng.random(self.batch_size) < epsilon
        actions[explore] = self._rng.integers(self.n_actions, size=int(explore.sum()))
        return actions.astype(np.int32)

    def _one_step(self, p: dict) -> dict:
        """Act in batch_size environments, then one compiled step: Q, Go targets, Adam."""
        if self._t0 is None:  # the clock of the history's "time" column (continues after load())
            last = self.history.last()
            self._t0 = time.perf_counter() - (last["time"] if last else 0.0)
        self._assign(p)
        actions = self._act(p["epsilon"])
        next_obs, reward, terminated, truncated, _ = self._env.step(actions)
        # gymnasium vector envs reset a finished copy on the *next* step: that row is no transition.
        valid = ~self._prev_done
        loss, q_mean, next_q = self._compiled_step(self._obs, actions, reward, next_obs, terminated, valid)
        done = (np.asarray(terminated) | np.asarray(truncated)) & valid
        self._returns += np.where(valid, reward, 0.0)
        finished = self._returns[done]
        self._returns[done] = 0.0
        self._obs, self._q_act, self._prev_done = next_obs, next_q.numpy(), done
        return dict(episode=self._episode + int(done.sum()), samples=(self._step_count + 1) * self.batch_size,
                    time=time.perf_counter() - self._t0, loss=float(loss), q_mean=q_mean.numpy(),
                    episode_return=finished.mean() if len(finished) else float("nan"))

    def _compiled_step(self, obs, actions, reward, next_obs, terminated, valid):
        """Call the tf.function with tensors; an error raised in Go comes out as itself, not as a TF error."""
        try:
            return self._graph(tf.constant(obs), tf.constant(actions), tf.constant(np.asarray(reward, np.float64)),
                               tf.constant(next_obs), tf.constant(np.asarray(terminated, bool)), tf.constant(valid))
        except tf.errors.OpError:
            go_error, self._step_fn.go_error = self._step_fn.go_error, None
            if go_error is not None:
                raise go_error from None
            raise

    def _rebuild(self) -> None:
        """Back to the first weights and a fresh optimizer (reset(); the history is cleared by Steerable)."""
        self.model.set_weights(self._initial_weights)
        for v in self.model.optimizer.variables:
            v.assign(tf.zeros_like(v))
        self._reset_env()

    # -- files --

    def config(self) -> dict:
        """What load() needs besides the model and the history."""
        return dict(env=self.env_id, batch_size=self.batch_size, seed=self.seed, hidden=self.hidden,
                    step_count=self._step_count, episode=self._episode, **self._values)

    model_loader = staticmethod(load_model)

    def _saved(self) -> dict:
        return {"model": self.model}

    @classmethod
    def _from_run(cls, run, lib) -> Trainer:
        """A trainer around the loaded model (optimizer state included), with the saved settings."""
        c = run.config
        envs, path, model = make_env(c["env"], c["batch_size"]), run.path / "model.keras", run.model
        runstore.expect(path, "the model's input size", model.input_shape[-1], envs.single_observation_space.shape[0])
        runstore.expect(path, "the model's number of actions", model.output_shape[-1], int(envs.single_action_space.n))
        params = Hyperparams(**{name: c[name] for name in NAMES})
        return cls(run.model, envs, lib=lib, params=params, seed=c["seed"], env_id=c["env"], hidden=c["hidden"])
