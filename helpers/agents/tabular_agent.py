"""Tabular Q-learning in Go, steerable live: the agent behind lesson 03's dashboard.

    agent = TabularAgent.create("FrozenLake-v1", map_name="8x8", is_slippery=True, alpha=0.1, seed=0)
    agent.train(200)            # 200 steps = 200 Go calls of `chunk` episodes each
    agent.params.alpha = 0.5    # from any thread: used from the next chunk, recorded in history.changes
    Dashboard(agent)            # sliders for alpha, gamma, epsilon; the table as a heatmap

A step plays `chunk` episodes of epsilon-greedy Q-learning in Go (run_episodes)
and updates the (nS, nA) table in place. The Go generator's state lives in the
agent, so a seeded run is the same run however it is cut into steps, and
reset() zeroes the table and reseeds. A big chunk is split into Go calls of at
most CALL_STEPS environment steps, and a stop or pause asked for between two
calls ends the step there (it records the episodes it played): stop() answers
within a fraction of a second even for a chunk of 10**8 episodes. Q* (for the
loss column) is solved in a background thread, so a gamma change on a large
table never stalls training; the loss is NaN until it is ready.
"""

from __future__ import annotations

import math
import threading
import time

import numpy as np

from helpers.agents.grid import greedy_path, path_return, table_view
from helpers.agents.horizon import best_within, success_means_something
from helpers.agents.mdp import from_gymnasium, value_iteration
from helpers.bridge import golib
from helpers.bridge.tabular import TabularMDP, check_max_steps, greedy_success, run_episodes, seed_state
from helpers.core.knobs import NAMES, Hyperparams, check_size
from helpers.runs import runstore
from helpers.runs.history import History, evenly_spaced
from helpers.runs.steerable import Steerable

SUCCESS_EVERY = 500  # episodes between two greedy evaluations
SUCCESS_EPISODES = 200  # greedy episodes per evaluation (on a copy of Q, in Go)
KEEP_POINTS = 2_000  # greedy-success points kept (evenly thinned beyond that)
CALL_STEPS = 2_000_000  # at most episodes x max_steps per Go call: well under 0.1 s at Go's ~30 M steps/s


class TabularAgent(Steerable):
    """Q-learning on a gymnasium toy-text MDP, `chunk` episodes per step (one Go call; several for a huge chunk)."""

    knobs = ("alpha", "gamma", "epsilon")

    def __init__(self, mdp: TabularMDP, lib=None, params: Hyperparams | None = None, seed: int = 0,
                 max_steps: int | None = None, chunk: int = 50):
        self.mdp, self.lib = mdp, lib or golib.load()
        self.seed, self.chunk = check_size("seed", seed), check_size("num_episodes", chunk)
        self.samples_per_step = self.chunk  # the base class's rate then counts episodes
        if max_steps is not None:  # checked here: 0 is not the env's limit, -5 not an error at the first step
            check_max_steps(max_steps)
        self.max_steps = max_steps or mdp.max_steps or 200
        # success (return > 0) means reaching a goal only where that is the sole reward; else show the return
        self.by_success, self.best_possible = success_means_something(mdp), best_within(mdp, self.max_steps)
        self.history = History(n_actions=1)
        self._q_star: tuple[float, np.ndarray | None] = (math.nan, None)  # (gamma, Q*) solved last
        self._q_star_wanted, self._q_star_thread = math.nan, None
        self._q_star_lock = threading.Lock()
        super().__init__(params)
        self._rebuild()

    @classmethod
    def create(cls, env: str = "FrozenLake-v1", *, alpha: float = 0.5, gamma: float = 0.95, epsilon: float = 0.5,
               seed: int = 0, chunk: int = 50, max_steps: int | None = None, lib=None, **env_kwargs):
        """An agent for gymnasium's `env` (FrozenLake-v1, CliffWalking-v1, Taxi-v4; env_kwargs go to gym.make)."""
        params = Hyperparams(alpha=alpha, gamma=gamma, epsilon=epsilon)
        return cls(from_gymnasium(env, **env_kwargs), lib=lib, params=params, seed=seed, max_steps=max_steps,
                   chunk=chunk)

    def __repr__(self) -> str:
        v = self._values
        return (f"<TabularAgent {self.mdp.name} {self.status}: step {self.step_count}, episode {self.episode}, "
                f"alpha={v['alpha']:g} gamma={v['gamma']:g} epsilon={v['epsilon']:g}>")

    # -- one step --

    def _rebuild(self) -> None:
        """Q back to zeros, the generator reseeded, the curves emptied."""
        self.q = np.zeros(self.mdp.prob.shape[:2])
        self._q_shown = self.q.copy()
        self._state = seed_state(self.lib, self.seed)
        self._success: list[tuple[int, float, float]] = []  # (episode, success rate, mean return)
        self._env_steps, self._steps_mark = 0, (time.perf_counter(), 0)
        self._env_rate = 0.0

    def q_star(self, gamma: float, wait: float = 0.0) -> np.ndarray | None:
        """Q* for this gamma (cached), solved in a background thread: None until ready (up to `wait` s) or if
        value iteration does not converge quickly (e.g. gamma = 1)."""
        deadline = time.monotonic() + wait
        with self._q_star_lock:
            if self._q_star[0] != gamma:
                self._q_star_wanted = gamma
                if self._q_star_thread is None:
                    self._q_star_thread = threading.Thread(target=self._solve_q_star, name="qkit-q-star",
                                                           daemon=True)
                    self._q_star_thread.start()
        while self._q_star[0] != gamma and time.monotonic() < deadline:
            time.sleep(0.005)
        solved_gamma, q = self._q_star
        return q if solved_gamma == gamma else None

    def _solve_q_star(self) -> None:
        """Background: value iteration for the gamma asked for last, until it has caught up with the asks."""
        while True:
            with self._q_star_lock:
                gamma = self._q_star_wanted
                if self._q_star[0] == gamma:
                    self._q_star_thread = None
                    return
            try:
                q = value_iteration(self.mdp, gamma, tol=1e-9, max_iter=5_000)
            except Exception:  # no convergence (RuntimeError), or no memory: the loss stays NaN
                q = None
            with self._q_star_lock:
                self._q_star = (gamma, q)

    def _play_chunk(self, p: dict) -> tuple[int, float, int]:
        """`chunk` episodes in Go calls of at most CALL_STEPS steps; (episodes played, summed return, env steps).
        Ends early, between two calls, if a stop or pause is asked for."""
        per_call, done, total_return, env_steps = max(1, CALL_STEPS // self.max_steps), 0, 0.0, 0
        while done < self.chunk:
            n = min(per_call, self.chunk - done)
            returns, lengths, _ = run_episodes(self.lib, self.mdp, self.q, alpha=p["alpha"], gamma=p["gamma"],
                                               epsilon=p["epsilon"], max_steps=self.max_steps, episodes=n,
                                               state=self._state)
            done, total_return = done + n, total_return + float(returns.sum())
            env_steps += int(lengths.sum())
            if done < self.chunk and self._runner.interrupt_wanted:
                break
        return done, total_return, env_steps

    def _one_step(self, p: dict) -> dict:
        """`chunk` episodes in Go with this step's alpha, gamma, epsilon (calls a stop can end between); the record."""
        played, total_return, env_steps = self._play_chunk(p)
        q_star = self.q_star(p["gamma"])
        error = float(np.abs(self.q - q_star).max()) if q_star is not None else math.nan
        episode = self._episode + played
        if episode // SUCCESS_EVERY > self._episode // SUCCESS_EVERY:
            self._add_success(episode)
        self._env_steps += env_steps
        self._q_shown = self.q.copy()  # what the figure shows: Q as this whole step left it
        self._update_env_rate()
        return dict(episode=episode, samples=self._env_steps, loss=error, q_mean=[float(self.q.max(axis=1).mean())],
                    episode_return=total_return / played)

    def _add_success(self, episode: int) -> None:
        """Greedy success rate now (Go, on a copy of Q); keeps at most KEEP_POINTS points."""
        rate, mean = greedy_success(self.lib, self.mdp, self.q, episodes=SUCCESS_EPISODES, max_steps=self.max_steps)
        self._success.append((episode, rate, mean))
        if len(self._success) > KEEP_POINTS:
            self._success = [self._success[i] for i in evenly_spaced(len(self._success), KEEP_POINTS // 2)]

    def _update_env_rate(self) -> None:
        now, (then, steps) = time.perf_counter(), self._steps_mark
        if now - then >= 0.5:
            self._env_rate = (self._env_steps - steps) / (now - then)
            self._steps_mark = (now, self._env_steps)

    def config(self) -> dict:
        """The settings of this run."""
        return dict(env=self.mdp.name, env_kwargs=self.mdp.env_kwargs, seed=self.seed, chunk=self.chunk,
                    max_steps=self.max_steps, step_count=self._step_count, episode=self._episode,
                    env_steps=self._env_steps, **self._values)

    saved_sizes = {"chunk": "num_episodes", "max_steps": "steps"}

    def _saved(self) -> dict:
        """No network: the table, the generator's state and the greedy-success points."""
        return {"arrays": {"q": self.q.copy(), "rng": self._state.copy(),
                           "success": np.array(self._success, dtype=float).reshape(-1, 3)}}

    @classmethod
    def _from_run(cls, run, lib) -> TabularAgent:
        """The same world, table, generator state and success points: training goes on as if never stopped."""
        c, a = run.config, run.arrays
        agent = cls(from_gymnasium(c["env"], **c["env_kwargs"]), lib=lib, seed=c["seed"], chunk=c["chunk"],
                    max_steps=c["max_steps"], params=Hyperparams(**{name: c[name] for name in NAMES}))
        path = run.path / "state.npz"
        runstore.expect(path, "the Q table's shape", list(a["q"].shape), list(agent.q.shape))
        runstore.expect(path, "the generator state", (a["rng"].dtype.str, a["rng"].shape), (agent._state.dtype.str,
                                                                                        agent._state.shape))
        runstore.expect(path, "the success points' shape", a["success"].shape[1:], (3,))
        agent.q[:] = a["q"]
        agent._q_shown = agent.q.copy()
        agent._state[:] = a["rng"]
        agent._success = [tuple(row) for row in a["success"].tolist()]
        agent._env_steps = c["env_steps"]
        return agent

    # -- what the dashboard shows --

    def status_items(self) -> list[tuple[str, str]]:
        running = self.status == "running"
        k, shown = (1, "{:.0%}") if self.by_success else (2, "{:.3g}")  # success rate, or mean greedy return
        greedy = shown.format(self._success[-1][k]) if self._success else "–"
        return [("step", f"{self._step_count:,}"), ("episode", f"{self._episode:,}"),
                ("env steps/s", f"{self._env_rate if running else 0:,.0f}"),
                ("greedy " + ("success" if self.by_success else "return"), greedy),
                ("time limit", f"{self.max_steps:,} steps"), ("best possible", shown.format(self.best_possible))]

    def snapshot(self, max_rows: int | None = None) -> dict:
        """History columns plus what the grid panel needs: a copy of Q, the cells, the success points."""
        snap = self.history.snapshot(max_rows=max_rows)
        with self._params_lock:
            q = self._q_shown.copy()  # Q as the last whole step left it (Go may be writing self.q right now)
        success = np.array(self._success, dtype=float).reshape(-1, 3)
        return {**snap, **table_view(self.mdp, q), "chunk": self.chunk, "by_success": self.by_success,
                "max_steps": self.max_steps, "best_possible": self.best_possible, "success_episode": success[:, 0],
                "success": success[:, 1], "greedy_return": success[:, 2]}

    def figure_spec(self) -> dict:
        return {"kind": "tabular"}

    def greedy_path(self, max_len: int | None = None) -> list[int]:
        """States the greedy policy visits from the start (deterministic envs; first best action on ties)."""
        return greedy_path(self.mdp, self.q, max_len or self.max_steps)

    def play_greedy(self) -> tuple[list[int], float]:
        """(greedy path, its return) on a deterministic env."""
        path = self.greedy_path()
        return path, path_return(self.mdp, self.q, path)
