"""Bench suite of tabular Q-learning: Go's episode runner against the plain-Python reference on the real env."""

from __future__ import annotations

import time

import numpy as np

from helpers.tooling.bench import figure

GO_EPISODES, PY_EPISODES = 20_000, 200  # FrozenLake 8x8 slippery, 200 steps at most
SETTINGS = {"alpha": 0.1, "gamma": 0.99, "epsilon": 0.1, "max_steps": 200}


def _steps_per_s(run, repeat: int = 5) -> float:
    """Best steps/s of repeat runs (run() returns the episode lengths; each run starts from zeros)."""
    best = 0.0
    for _ in range(repeat):
        t = time.perf_counter()
        lengths = run()
        best = max(best, float(lengths.sum()) / (time.perf_counter() - t))
    return best


def figures() -> list[dict]:
    """Go vs Python steps/s on the same tables and algorithm, and the time to train the 8x8 lake."""
    from helpers.bridge import golib
    from helpers.bridge import tabular as T
    from helpers.learning import mdp as M

    lib = golib.load()
    slippery = M.from_gymnasium("FrozenLake-v1", map_name="8x8", is_slippery=True)
    uniforms = np.random.default_rng(0).random(PY_EPISODES * (1 + 3 * SETTINGS["max_steps"]))

    def go():
        q = np.zeros(slippery.prob.shape[:2])
        return T.run_episodes(lib, slippery, q, episodes=GO_EPISODES, state=T.seed_state(lib, 0), **SETTINGS)[1]

    def python():
        q = np.zeros(slippery.prob.shape[:2])
        return M.q_learning_reference(slippery.name, slippery, q, episodes=PY_EPISODES, uniforms=uniforms,
                                      **SETTINGS)[1]

    go_rate, py_rate = _steps_per_s(go), _steps_per_s(python)
    lake = M.from_gymnasium("FrozenLake-v1", map_name="8x8", is_slippery=False)
    train_s = min(_timed(lambda: M.train(lib, lake, M.LAKE_CHUNKS, M.LAKE_GAMMA, lake.max_steps)) for _ in range(5))
    return [
        figure("tabular_go_steps_per_s", go_rate, "steps/s",
               what=f"qTabularRun, FrozenLake 8x8 slippery, {GO_EPISODES:,} episodes per call, best of 5"),
        figure("tabular_python_steps_per_s", py_rate, "steps/s",
               what=f"Python reference stepping the gymnasium env, same tables, {PY_EPISODES} episodes, best of 5"),
        figure("tabular_go_vs_python", go_rate / py_rate, "x", target=">= 200", what="the two above, same run"),
        figure("tabular_train_lake8x8_s", train_s, "s", target="< 1",
               what=f"train the non-slippery 8x8 lake to 100/100 greedy successes ({M.LAKE_CHUNKS}), best of 5"),
    ]


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t
