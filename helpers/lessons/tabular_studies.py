"""Lesson 03's studies over many seeds, run in Go: step sizes that shrink (Robbins-Monro), SARSA against
Q-learning while learning (Sutton & Barto, Example 6.6), and maximisation bias (Example 6.7).

    curves = error_curves(lib, lake, 0.9, {"constant": RM_CONSTANT, "shrinking": RM_SHRINKING}, 20_000, range(3))
    online = online_returns(lib, cliff, RULES, range(20), episodes=500)      # {rule: (seeds, episodes)}
    left = left_share(lib, "double_q", runs=1_000, episodes=300)             # share of left from A, per episode
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from helpers.agents.grid import greedy_path, path_return
from helpers.agents.mdp import value_iteration
from helpers.bridge.control import run_control
from helpers.bridge.tabular import TabularMDP, seed_state

# -- Robbins-Monro: Q-learning on the slippery lake with a constant and with a shrinking step size -----------------

CHUNK = 50  # episodes per Go call: epsilon changes between calls, the step size at every update
# (alpha, omega, epsilon, glie): the n-th update of (s, a) uses alpha * n^-omega; epsilon falls as
# epsilon * glie / (glie + episodes so far) if glie, else stays.
RM_CONSTANT = (0.1, 0.0, 0.5, None)
RM_SHRINKING = (1.0, 0.8, 0.5, 5_000)


def error_curves(lib, mdp: TabularMDP, gamma: float, schedules: dict, episodes: int, seeds) -> dict:
    """{name: (episode axis, (seeds, points) array of max over non-terminal (s, a) of |Q - Q*|)}."""
    q_star, live = value_iteration(mdp, gamma), ~_terminal_states(mdp)
    out = {}
    for name, (alpha, omega, epsilon, glie) in schedules.items():
        errors = []
        for seed in seeds:
            q, visits, row = np.zeros(mdp.shape[:2]), np.zeros(mdp.shape[:2], np.int64), []
            state = seed_state(lib, seed)
            for done in range(0, episodes, CHUNK):
                eps = epsilon * glie / (glie + done) if glie else epsilon
                run_control(lib, mdp, q, rule="q_learning", alpha=alpha, gamma=gamma, epsilon=eps,
                            max_steps=mdp.max_steps or 100, episodes=CHUNK, state=state, visits=visits, omega=omega)
                row.append(float(np.abs(q - q_star)[live].max()))
            errors.append(row)
        out[name] = (np.arange(CHUNK, episodes + 1, CHUNK), np.array(errors))
    return out


def settled(x: np.ndarray, errors: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per seed, over the last tenth of the first n episodes: (mean error, swing = max - min)."""
    window = errors[:, (x > 0.9 * n) & (x <= n)]
    return window.mean(axis=1), window.max(axis=1) - window.min(axis=1)


def _terminal_states(mdp: TabularMDP) -> np.ndarray:
    """States no episode acts in: every action of them ends at once (holes, goals), or none leads there."""
    ends = (mdp.terminated == 1) | (mdp.prob == 0)
    return np.asarray([s in mdp.holes or s in mdp.goal for s in range(mdp.shape[0])]) | ends.all(axis=(1, 2))


# -- SARSA, expected SARSA and Q-learning on the cliff, while learning ----------------------------------------------

RULES = ("q_learning", "sarsa", "expected_sarsa")
CLIFF_SETTINGS = dict(alpha=0.5, gamma=1.0, epsilon=0.1, max_steps=200)


def online_returns(lib, mdp: TabularMDP, rules, seeds, episodes: int = 500, **settings) -> dict:
    """{rule: {"returns": (seeds, episodes) training returns, "lengths": the same for lengths, "greedy": the greedy
    path's return of each seed}}, each rule trained from zeros."""
    s = {**CLIFF_SETTINGS, **settings}
    out = {}
    for rule in rules:
        runs = {"returns": [], "lengths": [], "greedy": []}
        for seed in seeds:
            q = np.zeros(mdp.shape[:2])
            r, n, _ = run_control(lib, mdp, q, rule=rule, episodes=episodes, state=seed_state(lib, seed), **s)
            runs["returns"].append(r)
            runs["lengths"].append(n)
            runs["greedy"].append(path_return(mdp, q, greedy_path(mdp, q, s["max_steps"])))
        out[rule] = {k: np.array(v) for k, v in runs.items()}
    return out


def cliff_falls(run: dict) -> np.ndarray:
    """Falls into CliffWalking's cliff per episode: a step pays -1, a fall -100, so falls = (-return - steps) / 99."""
    return (-run["returns"] - run["lengths"]) / 99


def band(samples: np.ndarray, window: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(mean over seeds, half-width of its 95 % confidence interval), after a moving mean of `window` episodes."""
    a = np.asarray(samples, dtype=float)
    if window > 1:
        kernel = np.ones(window) / window
        a = np.array([np.convolve(row, kernel, mode="valid") for row in a])
    n = a.shape[0]
    t95 = {2: 12.71, 3: 4.30, 4: 3.18, 5: 2.78, 10: 2.26, 20: 2.09, 30: 2.05}.get(n, 1.96 if n > 30 else 2.26)
    return a.mean(axis=0), t95 * a.std(axis=0, ddof=1) / np.sqrt(n)


# -- maximisation bias: the A/B world of Sutton & Barto's Example 6.7 ----------------------------------------------

B_ACTIONS, LEVELS = 10, 100  # actions in B; reward levels that stand for N(-0.1, 1)
LEFT = 0  # A's action "left" (to B); "right" (1) ends the episode at once


def max_bias_mdp(b_actions: int = B_ACTIONS, levels: int = LEVELS) -> tuple[TabularMDP, np.ndarray]:
    """(the world, its legal action counts). States A = 0, B = 1, and an end state 2. From A, left goes to B
    (reward 0), right ends (reward 0); every action of B ends with a reward drawn from N(-0.1, 1), here as
    `levels` equally likely values at the normal's quantiles, scaled to mean -0.1 and variance 1 exactly."""
    z = np.array([NormalDist().inv_cdf((k + 0.5) / levels) for k in range(levels)])
    z = (z - z.mean()) / z.std()
    nA, K = max(2, b_actions), levels
    prob, nxt = np.zeros((3, nA, K)), np.full((3, nA, K), 2, dtype=np.int64)
    reward, term = np.zeros((3, nA, K)), np.ones((3, nA, K), dtype=np.uint8)
    prob[:, :, 0] = 1.0  # A's right, and the actions no state has: end at once
    nxt[0, LEFT, 0], term[0, LEFT, 0] = 1, 0  # A's left: to B
    prob[1, :b_actions, :], reward[1, :b_actions, :] = 1.0 / K, -0.1 + z
    mdp = TabularMDP(prob, nxt, reward, term, np.array([1.0, 0.0, 0.0]), name="MaximizationBias")
    return mdp, np.array([2, b_actions, 1], dtype=np.int64)


def estimates_after(lib, rule: str, episodes: int, runs: int = 1_000, alpha: float = 0.1, epsilon: float = 0.1,
                    first_seed: int = 0) -> dict:
    """Means over runs, after `episodes` episodes, of Q(A, left) and of max over B's actions of Q(B, .) (Double Q:
    of the mean of its two tables), beside the true values: -0.1 for both."""
    mdp, legal = max_bias_mdp()
    a_left, b_max = [], []
    for seed in range(first_seed, first_seed + runs):
        q = np.zeros(mdp.shape[:2])
        q2 = np.zeros(mdp.shape[:2]) if rule == "double_q" else None
        run_control(lib, mdp, q, rule=rule, alpha=alpha, gamma=1.0, epsilon=epsilon, max_steps=2, episodes=episodes,
                    state=seed_state(lib, seed), q2=q2, legal=legal)
        table = q if q2 is None else (q + q2) / 2
        a_left.append(table[0, LEFT])
        b_max.append(table[1, :legal[1]].max())
    return {"q_a_left": float(np.mean(a_left)), "max_q_b": float(np.mean(b_max)), "true": -0.1}


def left_share(lib, rule: str, runs: int = 1_000, episodes: int = 300, alpha: float = 0.1, epsilon: float = 0.1,
               gamma: float = 1.0, first_seed: int = 0, world=None) -> np.ndarray:
    """The share of runs that took left from A, episode by episode (runs from zeros, seeds first_seed...)."""
    mdp, legal = world or max_bias_mdp()
    left = np.zeros(episodes)
    for seed in range(first_seed, first_seed + runs):
        q = np.zeros(mdp.shape[:2])
        q2 = np.zeros(mdp.shape[:2]) if rule == "double_q" else None
        _, lengths, _ = run_control(lib, mdp, q, rule=rule, alpha=alpha, gamma=gamma, epsilon=epsilon, max_steps=2,
                                    episodes=episodes, state=seed_state(lib, seed), q2=q2, legal=legal)
        left += lengths == 2  # left takes two steps (A to B, B to the end), right one
    return left / runs
