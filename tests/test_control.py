"""Go's TD control runner (run_control) against a plain-Python reference given the same uniforms: every rule,
with and without legal-action counts and visit-count step sizes, on worlds the lessons use."""

import numpy as np
import pytest

from helpers.agents.mdp import choose_action, from_gymnasium
from helpers.bridge.control import run_control
from helpers.lessons.tabular_studies import max_bias_mdp


def sample(probs, u: float) -> int:
    """Go's inverse-CDF draw: the first k whose cumulative probability exceeds u (else the last positive)."""
    cum, last = 0.0, 0
    for k, p in enumerate(probs):
        if p > 0:
            last = k
        cum += p
        if cum > u:
            return k
    return last


def reference(mdp, q, rule, alpha, gamma, epsilon, max_steps, episodes, uniforms, q2=None, legal=None,
              visits=None, omega=0.0):
    """RunControl in plain Python, step by step as its doc says (3 uniforms per episode, 4 per step)."""
    u, i = list(uniforms), 0
    nA = q.shape[1]
    n_legal = (lambda s: nA) if legal is None else (lambda s: int(legal[s]))

    def behaviour(s):
        row = q[s] if q2 is None else q[s] + q2[s]
        return row[:n_legal(s)].tolist()

    returns, lengths = [], []
    for _ in range(episodes):
        s = sample(mdp.start, u[i])
        a = choose_action(behaviour(s), epsilon, u[i + 1], u[i + 2])
        i, ret, steps = i + 3, 0.0, 0
        while steps < max_steps:
            o = sample(mdp.prob[s, a], u[i])
            r, s2, done = float(mdp.reward[s, a, o]), int(mdp.next[s, a, o]), float(mdp.terminated[s, a, o])
            a2 = choose_action(behaviour(s2), epsilon, u[i + 1], u[i + 2])
            table, other = q, q
            if rule == "double_q":
                table, other = (q2, q) if u[i + 3] >= 0.5 else (q, q2)
            row = table[s2, :n_legal(s2)].tolist()
            if rule == "sarsa":
                value = table[s2, a2]
            elif rule == "expected_sarsa":
                value = epsilon * sum(row) / len(row) + (1 - epsilon) * max(row)
            elif rule == "double_q":
                value = other[s2, row.index(max(row))]
            else:
                value = max(row)
            step = alpha
            if visits is not None:
                visits[s, a] += 1
                step = alpha * float(visits[s, a]) ** -omega
            target = r + gamma * value * (1 - done)
            table[s, a] += step * (target - table[s, a])
            i, ret, steps, s, a = i + 4, ret + r, steps + 1, s2, a2
            if done:
                break
        returns.append(ret)
        lengths.append(steps)
    return np.array(returns), np.array(lengths), i


@pytest.mark.parametrize("rule", ["q_learning", "sarsa", "expected_sarsa", "double_q"])
@pytest.mark.parametrize("world", ["cliff", "slippery", "ab"])
def test_go_matches_the_python_reference(lib, rule, world):
    if world == "ab":
        mdp, legal = max_bias_mdp()
    else:
        kwargs = {} if world == "cliff" else {"is_slippery": True}
        mdp, legal = from_gymnasium("CliffWalking-v1" if world == "cliff" else "FrozenLake-v1", **kwargs), None
    settings = dict(rule=rule, alpha=0.5, gamma=0.95, epsilon=0.2, max_steps=60, episodes=300)
    uniforms = np.random.default_rng(3).random(300 * (3 + 4 * 60))
    tables = [np.zeros(mdp.shape[:2]) for _ in range(4)]  # Go q, Go q2, Python q, Python q2
    double = rule == "double_q"
    returns, lengths, used = run_control(lib, mdp, tables[0], **settings, uniforms=uniforms,
                                         q2=tables[1] if double else None, legal=legal)
    want = reference(mdp, tables[2], uniforms=uniforms, q2=tables[3] if double else None, legal=legal, **settings)
    np.testing.assert_array_equal(tables[0], tables[2])
    np.testing.assert_array_equal(tables[1], tables[3])
    np.testing.assert_array_equal(returns, want[0])
    np.testing.assert_array_equal(lengths, want[1])
    assert used == want[2]
    assert tables[0].any() or tables[1].any()  # something was learnt


def test_visit_counts_match_the_reference(lib):
    mdp = from_gymnasium("FrozenLake-v1", is_slippery=True)
    settings = dict(rule="q_learning", alpha=1.0, gamma=0.9, epsilon=0.5, max_steps=100, episodes=50, omega=0.8)
    uniforms = np.random.default_rng(4).random(50 * (3 + 4 * 100))
    q_go, q_py = np.zeros((16, 4)), np.zeros((16, 4))
    v_go, v_py = np.zeros((16, 4), dtype=np.int64), np.zeros((16, 4), dtype=np.int64)
    run_control(lib, mdp, q_go, **settings, uniforms=uniforms, visits=v_go)
    reference(mdp, q_py, uniforms=uniforms, visits=v_py, **settings)
    np.testing.assert_array_equal(v_go, v_py)
    np.testing.assert_allclose(q_go, q_py, rtol=0, atol=1e-12)  # math.Pow and ** may differ in the last bit
    assert v_go.sum() > 100
