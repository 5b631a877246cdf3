"""The trials a sweep runs: one agent, one setting of the knobs, one seed -> a flat dict of numbers.

Each is a top-level function (picklable: a spawned worker or a Ray actor
imports it by name) and loads the Go library the parent built (LIB_ENV).
"""

from __future__ import annotations

import os
import time
from functools import cache
from pathlib import Path

import numpy as np

from helpers.steering.hyperparams import check, check_size

LIB_ENV = "QKIT_SWEEP_LIB"  # the built library's path, for workers (they load it, never build it)


def worker_lib():
    """The Go library for this process: the parent's build (LIB_ENV) loaded once; built only if there is none."""
    from helpers.bridge import golib

    path = os.environ.get(LIB_ENV)
    return golib.load(path if path and Path(path).exists() else None)


# -- the tabular agent's trial ------------------------------------------------------------------------------------

# The lesson's lake: slippery 4x4 FrozenLake, a fixed budget of 10,000 episodes at epsilon 0.2.
TABULAR = dict(env="FrozenLake-v1", map_name="4x4", is_slippery=True, alpha=0.1, gamma=0.99, epsilon=0.2,
               num_episodes=10_000, max_steps=None, checkpoints=10, eval_episodes=1_000, solved_at=0.7)


@cache
def _mdp(env: str, map_name: str | None, is_slippery: bool):
    from helpers.learning.mdp import from_gymnasium

    kwargs = {} if env != "FrozenLake-v1" else {"map_name": map_name, "is_slippery": is_slippery}
    return from_gymnasium(env, **kwargs)


def tabular_trial(params: dict, seed: int, **fixed) -> dict:
    """Q-learning in Go from zeros; greedy success after each of `checkpoints` chunks of the episode budget."""
    from helpers.bridge.tabular import greedy_success, run_episodes, seed_state

    unknown = (set(params) | set(fixed)) - set(TABULAR)
    if unknown:
        raise ValueError(f"the tabular trial has no setting {sorted(unknown)}; it takes {', '.join(TABULAR)}")
    s = {**TABULAR, **fixed, **params}
    lib, mdp = worker_lib(), _mdp(s["env"], s["map_name"], s["is_slippery"])
    alpha, gamma, epsilon = (check(k, s[k]) for k in ("alpha", "gamma", "epsilon"))
    episodes, chunks = check_size("num_episodes", s["num_episodes"]), int(s["checkpoints"])
    max_steps = s["max_steps"] or mdp.max_steps or 100
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


# -- the DQN's trial ---------------------------------------------------------------------------------------------

# CartPole with the lesson's defaults; a sweep usually shortens the budget (fixed={"max_steps": ...}).
DQN = dict(alpha=1.0, gamma=0.99, epsilon=0.04, learning_rate=2.3e-3, max_steps=50_000)


def dqn_trial(params: dict, seed: int, **fixed) -> dict:
    """Train the DQN until solved or max_steps environment steps; the last greedy evaluation and the solve step."""
    from helpers.learning.dqn_agent import DQNAgent

    unknown = (set(params) | set(fixed)) - set(DQN)
    if unknown:
        raise ValueError(f"the dqn trial has no setting {sorted(unknown)}; it takes {', '.join(DQN)}")
    s = {**DQN, **fixed, **params}
    agent = DQNAgent.create(seed=seed, lib=worker_lib(), alpha=check("alpha", s["alpha"]),
                            gamma=check("gamma", s["gamma"]), eps_end=check("epsilon", s["epsilon"]),
                            learning_rate=check("learning_rate", s["learning_rate"]))
    budget, start = check_size("steps", s["max_steps"]), time.perf_counter()
    while agent.solved_step is None and agent.dqn.global_step < budget:
        agent.train(1)
    last = agent.evals[-1][1] if agent.evals else float("nan")
    return {"success": float(agent.solved_step is not None), "mean_return": last,
            "episodes_to_solve": float("nan") if agent.solved_step is None else float(agent.solved_step),
            "train_s": time.perf_counter() - start, "steps": agent.dqn.global_step}


dqn_trial.uses = ("alpha", "gamma", "epsilon", "learning_rate", "max_steps")
