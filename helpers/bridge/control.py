"""TD control in Go (qTabularControl): Q-learning, SARSA, expected SARSA and Double Q-learning, whole episodes
per call, on the same tables as run_episodes.

    q = np.zeros(cliff.shape[:2])
    returns, lengths, used = run_control(lib, cliff, q, rule="sarsa", alpha=0.5, gamma=1.0, epsilon=0.1,
                                         max_steps=200, episodes=500, state=seed_state(lib, 0))

The rule names come from Go (qTabularRules), so Python never copies their numbers.
Options: q2 (Double Q-learning's second table), legal (each state's number of
actions), visits with omega (a step size alpha * n^-omega for the n-th update
of each (s, a): Robbins-Monro for omega in (0.5, 1]).
"""

from __future__ import annotations

import ctypes

import numpy as np

from helpers.bridge.checks import floats, param, real
from helpers.bridge.tabular import STATE_WORDS, TabularMDP, _check_array, _whole, check_mdp
from helpers.core.knobs import SIZES


def rules(lib) -> tuple[str, ...]:
    """The rule names, in the order of their numbers: ('q_learning', 'sarsa', 'expected_sarsa', 'double_q')."""
    buf = ctypes.create_string_buffer(256)
    lib.raw.qTabularRules(buf, len(buf))
    return tuple(buf.value.decode().split("\t"))


def run_control(lib, mdp: TabularMDP, q: np.ndarray, *, rule: str, alpha, gamma, epsilon, max_steps: int,
                episodes: int, state: np.ndarray | None = None, uniforms=None, q2: np.ndarray | None = None,
                legal: np.ndarray | None = None, visits: np.ndarray | None = None,
                omega: float = 0.0) -> tuple[np.ndarray, np.ndarray, int]:
    """Run episodes of epsilon-greedy TD control in Go; returns (returns, lengths, uniforms used).

    q (and q2, visits) are updated IN PLACE, so they must be C-contiguous
    arrays of the right dtype (never silently copied). Random numbers come from
    exactly one of state (from seed_state) or uniforms: 3 per episode, 4 per step.
    """
    lib._check_fresh()
    names = rules(lib)
    if rule not in names:
        raise ValueError(f"rule must be one of {', '.join(names)}; got {rule!r}")
    nS, nA, K = check_mdp(mdp)
    _check_array("q", q, np.float64, (nS, nA), writeable=True)
    if (rule == "double_q") != (q2 is not None):
        raise ValueError("give q2 (a second (nS, nA) table) for rule='double_q', and only for it")
    options = (("q2", q2, np.float64, (nS, nA), True), ("legal", legal, np.int64, (nS,), False),
               ("visits", visits, np.int64, (nS, nA), True))
    for name, a, dtype, shape, writes in options:
        if a is not None:
            _check_array(name, a, dtype, shape, writeable=writes)
    alpha, gamma, epsilon, omega = param("alpha", alpha), param("gamma", gamma), param("epsilon", epsilon), real(
        "omega", omega)
    if not 0 <= omega <= 1:
        raise ValueError(f"omega must be in [0, 1] (the step size of the n-th update is alpha * n^-omega); got {omega}")
    max_steps = _whole("max_steps", max_steps, 1, SIZES["steps"][2])
    episodes = _whole("episodes", episodes, 0, SIZES["num_episodes"][2])
    if (state is None) == (uniforms is None):
        raise ValueError("give exactly one of state= (from seed_state) or uniforms= (numbers in [0, 1))")
    if state is not None:
        _check_array("state", state, np.uint64, (STATE_WORDS,), writeable=True)
    else:
        uniforms = floats("uniforms", uniforms)
    returns, lengths, used = np.zeros(episodes), np.zeros(episodes, dtype=np.int64), np.zeros(1, dtype=np.int64)
    code = lib.raw.qTabularControl(mdp.prob, mdp.next, mdp.reward, mdp.terminated, mdp.start, nS, nA, K, q,
                                   names.index(rule), ptr(q2), ptr(legal), ptr(visits), omega, alpha, gamma, epsilon,
                                   max_steps, episodes, ptr(state), STATE_WORDS, ptr(uniforms),
                                   0 if uniforms is None else len(uniforms), used.ctypes.data, returns, lengths)
    if code:
        lib._raise_for(code, "qTabularControl", {"q": q, "q2": q2 if q2 is not None else q, "reward": mdp.reward,
                                                            "start": mdp.start})
    return returns, lengths, int(used[0])


def ptr(a: np.ndarray | None):
    """An array's address for a pointer that may be NULL (None)."""
    return None if a is None else a.ctypes.data
