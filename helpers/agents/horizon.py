"""The best any policy can do within an episode's time limit, computed exactly by dynamic programming.

    >>> from helpers.agents.mdp import from_gymnasium
    >>> lake = from_gymnasium("FrozenLake-v1", is_slippery=True)        # 100-step limit
    >>> round(best_within(lake, 100), 3)                                # the best time-dependent policy
    0.744

No Monte Carlo: the expected return within T steps is summed over every outcome
of the tables, T sweeps backwards from the limit. On worlds where "success"
means something (FrozenLake: the only reward is 1 for reaching the goal) the
expected return IS the probability of success.
"""

from __future__ import annotations

import numpy as np

from helpers.bridge.tabular import TabularMDP

TIE = 1e-12  # actions within this of a row's best count as tied (the greedy runner picks among ties at random)


def success_means_something(mdp: TabularMDP) -> bool:
    """True if every reward is 0 except positive ones that end the episode (a goal): then return > 0 is success."""
    r, ends = mdp.reward[mdp.prob > 0], mdp.terminated[mdp.prob > 0].astype(bool)
    return bool(np.all((r == 0) | ((r > 0) & ends)) and np.any(r > 0))


def best_within(mdp: TabularMDP, steps: int) -> float:
    """The largest expected (undiscounted) return any policy gets within `steps` steps from the start distribution.

    The best policy may depend on the steps left, so this is an upper bound for
    every stationary policy (such as a greedy one) under the same limit.
    """
    v = np.zeros(mdp.prob.shape[0])
    for _ in range(_whole_steps(steps)):
        v = _backup(mdp, v).max(axis=1)
    return float(mdp.start @ v)


def greedy_within(mdp: TabularMDP, q: np.ndarray, steps: int) -> float:
    """The exact expected return within `steps` steps of the greedy policy of q (ties split evenly, as Go does)."""
    policy, v = _greedy(mdp, q), np.zeros(mdp.prob.shape[0])
    for _ in range(_whole_steps(steps)):
        v = np.sum(policy * _backup(mdp, v), axis=1)
    return float(mdp.start @ v)


def greedy_outcomes(mdp: TabularMDP, q: np.ndarray, steps: int) -> dict:
    """How the greedy policy of q ends within `steps` steps, exactly: the probabilities of a goal (a terminal
    outcome with reward > 0), of another end (a hole), of the time limit, and the mean steps to the goal."""
    policy = _greedy(mdp, q)
    d, goal, other, steps_to_goal = mdp.start.copy(), 0.0, 0.0, 0.0
    flow = mdp.prob * policy[:, :, None]  # P(a, outcome | s) under the policy
    good = (mdp.terminated == 1) & (mdp.reward > 0)
    for t in range(_whole_steps(steps)):
        mass = d[:, None, None] * flow  # probability of each (s, a, outcome) at this step
        reached = float(mass[good].sum())
        goal, other, steps_to_goal = goal + reached, other + float(mass[(mdp.terminated == 1) & ~good].sum()), \
            steps_to_goal + reached * (t + 1)
        d = np.bincount(mdp.next[mdp.terminated == 0], weights=mass[mdp.terminated == 0], minlength=len(d))
    return {"goal": goal, "other_end": other, "time_limit": float(d.sum()),
            "steps_to_goal": steps_to_goal / goal if goal > 0 else float("nan")}


def limit_readout(mdp: TabularMDP, steps: int) -> str:
    """'100-step limit, best possible success 74%' (or 'best possible return -13' where success means nothing)."""
    best = best_within(mdp, steps)
    what = f"success {best:.0%}" if success_means_something(mdp) else f"return {best:.3g}"
    return f"{steps:,}-step limit, best possible {what}"


def _greedy(mdp: TabularMDP, q) -> np.ndarray:
    """The greedy policy of q as (nS, nA) probabilities: ties (within TIE) split evenly."""
    q = np.asarray(q, dtype=float)
    if q.shape != mdp.prob.shape[:2]:
        raise ValueError(f"q must have shape {mdp.prob.shape[:2]} (states, actions); got {q.shape}")
    best = q.max(axis=1, keepdims=True)
    policy = (q >= best - TIE * np.maximum(1.0, np.abs(best))).astype(float)
    return policy / policy.sum(axis=1, keepdims=True)


def _backup(mdp: TabularMDP, v: np.ndarray) -> np.ndarray:
    """Q(s, a) = E[r + V(s') if not terminated]: one step of the finite-horizon recursion, no discount."""
    return np.sum(mdp.prob * (mdp.reward + (1.0 - mdp.terminated) * v[mdp.next]), axis=2)


def _whole_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0 (the episode's time limit); got {steps!r}")
    return int(steps)
