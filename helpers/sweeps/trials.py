"""The trials a sweep runs: one agent, one setting of the knobs, one seed -> a flat dict of numbers.

Each is a top-level function (picklable: a spawned worker or a Ray actor
imports it by name) and loads the Go library the parent built (LIB_ENV).
"""

from __future__ import annotations

import os
import time
import traceback
from functools import cache
from pathlib import Path

import numpy as np

from helpers.agents.mdp import from_gymnasium
from helpers.bridge import golib
from helpers.bridge.tabular import check_max_steps, greedy_success, run_episodes, seed_state
from helpers.core.knobs import check, check_size

LIB_ENV = "QKIT_SWEEP_LIB"  # the built library's path, for workers (they load it, never build it)
# Each worker trains on one core: TensorFlow and BLAS limited to one thread before anything imports them.
ONE_THREAD = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "1"}


def run_one(job: tuple) -> tuple[int, dict | None, str]:
    """(index, metrics or None, error text) for one (index, fn, params, seed, fixed)."""
    index, fn, params, seed, fixed = job
    try:
        return index, {k: float(v) for k, v in fn(params, seed, **fixed).items()}, ""
    except Exception:
        return index, None, traceback.format_exc()


def worker_lib():
    """The Go library for this process: the parent's build (LIB_ENV) loaded once; built only if there is none."""
    path = os.environ.get(LIB_ENV)
    return golib.load(path if path and Path(path).exists() else None)


# -- the tabular agent's trial ------------------------------------------------------------------------------------

# The lesson's lake: slippery 4x4 FrozenLake, a fixed budget of 10,000 episodes at epsilon 0.2.
TABULAR = dict(env="FrozenLake-v1", map_name="4x4", is_slippery=True, alpha=0.1, gamma=0.99, epsilon=0.2,
               num_episodes=10_000, max_steps=None, checkpoints=10, eval_episodes=1_000, solved_at=0.7)


@cache
def _mdp(env: str, map_name: str | None, is_slippery: bool):
    kwargs = {} if env != "FrozenLake-v1" else {"map_name": map_name, "is_slippery": is_slippery}
    return from_gymnasium(env, **kwargs)


def tabular_trial(params: dict, seed: int, **fixed) -> dict:
    """Q-learning in Go from zeros; greedy success after each of `checkpoints` chunks of the episode budget."""
    unknown = (set(params) | set(fixed)) - set(TABULAR)
    if unknown:
        raise ValueError(f"the tabular trial has no setting {sorted(unknown)}; it takes {', '.join(TABULAR)}")
    s = {**TABULAR, **fixed, **params}
    lib, mdp = worker_lib(), _mdp(s["env"], s["map_name"], s["is_slippery"])
    alpha, gamma, epsilon = (check(k, s[k]) for k in ("alpha", "gamma", "epsilon"))
    episodes, chunks = check_size("num_episodes", s["num_episodes"]), s["checkpoints"]
    if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or not 1 <= chunks <= episodes:
        raise ValueError(f"checkpoints is how many greedy evaluations split the budget: a whole number from 1 to "
                         f"num_episodes ({episodes:,}); got {chunks!r}")
    max_steps = mdp.max_steps or 100 if s["max_steps"] is None else check_max_steps(s["max_steps"])
    q, state, train_s, steps, solved = np.zeros(mdp.shape[:2]), seed_state(lib, seed), 0.0, 0, float("nan")
    for k in range(1, chunks + 1):
        n = episodes * k // chunks - episodes * (k - 1) // chunks
        t = time.perf_counter()
        _, lengths, _ = run_episodes(lib, mdp, q, alpha=alpha, gamma=gamma, epsilon=epsilon, max_steps=max_steps,
                                     episodes=n, state=state)
        train_s, steps = train_s + time.perf_counter() - t, steps + int(lengths.sum())
        success, mean_return = greedy_success(lib, mdp, q, s["eval_episodes"], max_steps, seed=2**32 + seed)
        if success >= s["solved_at"] and np.isnan(solved):
            solved = episodes * k // chunks
    return {"success": success, "mean_return": mean_return, "episodes_to_solve": solved, "train_s": train_s,
            "steps": steps}


tabular_trial.uses = ("alpha", "gamma", "epsilon", "num_episodes")
