"""Lesson 03's studies over many seeds, at the lesson's full length and on seeds the lesson does not use:
Robbins-Monro step sizes (5 b'), Q-learning / SARSA / expected SARSA while learning (section 6), and
maximisation bias with Double Q-learning (section 7). Plus the Go runner's rules through the bridge."""

import numpy as np
import pytest

from helpers.agents.mdp import from_gymnasium
from helpers.bridge.control import rules, run_control
from helpers.bridge.tabular import seed_state
from helpers.lessons import tabular_studies as S
from helpers.tooling import notebooks

LESSON = notebooks.NOTEBOOK_DIR / "03_q_learning_in_a_table.ipynb"


@pytest.fixture(scope="module")
def text():
    return LESSON.read_text()


@pytest.fixture(scope="module")
def cliff():
    return from_gymnasium("CliffWalking-v1")


# --- 5 (b'): Robbins-Monro ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seeds", [range(3), range(3, 6)], ids=["lesson seeds", "other seeds"])
def test_a_shrinking_step_size_converges_a_constant_one_hovers(lib, seeds):
    lake = from_gymnasium("FrozenLake-v1", is_slippery=True)
    curves = S.error_curves(lib, lake, 0.9, {"constant": S.RM_CONSTANT, "shrinking": S.RM_SHRINKING}, 100_000, seeds)
    (x, const), (_, shrink) = curves["constant"], curves["shrinking"]
    levels = {n: (S.settled(x, const, n), S.settled(x, shrink, n)) for n in (5_000, 20_000, 100_000)}
    for n, ((c_level, _), (s_level, _)) in levels.items():
        assert (c_level > 0.08).all() and (c_level < 0.16).all(), (n, c_level)  # "about 0.1 ... it hovers"
        assert (s_level < c_level).all(), (n, s_level, c_level)
    assert (levels[100_000][0][1] > 0.1).all()  # "swings of 0.1 or more"
    s5, s20, s100 = (levels[n][1][0] for n in (5_000, 20_000, 100_000))
    assert 0.025 < s5.mean() < 0.06 and 0.015 < s20.mean() < 0.035 and s100.mean() < 0.02, (s5, s20, s100)
    assert s5.mean() > s20.mean() > s100.mean() and (s100 < 0.025).all()  # "keeps falling"
    assert levels[100_000][1][1].max() < 0.03 < levels[5_000][0][1].min()  # its swings shrink


def test_the_lesson_teaches_robbins_monro(text):
    assert "constant α = 1 never settles" not in text and "constant α = 1 breaks" not in text
    assert "Σ αₙ² < ∞" in text and "no constant α settles" in text


# --- section 6: while they learn -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seeds", [range(20), range(100, 120)], ids=["lesson seeds", "other seeds"])
def test_q_learning_collects_least_while_learning_yet_walks_best(lib, cliff, seeds):
    runs = S.online_returns(lib, cliff, S.RULES, seeds, episodes=500)
    late = {r: runs[r]["returns"][:, 100:].mean(axis=1) for r in S.RULES}
    mean = {r: late[r].mean() for r in S.RULES}
    half = {r: S.band(late[r][:, None])[1][0] for r in S.RULES}
    assert -55 < mean["q_learning"] < -45 and -34 < mean["sarsa"] < -26 and -24 < mean["expected_sarsa"] < -19, mean
    assert mean["q_learning"] + half["q_learning"] < mean["sarsa"] - half["sarsa"]  # the bands do not overlap
    assert mean["sarsa"] + half["sarsa"] < mean["expected_sarsa"] - half["expected_sarsa"]
    assert half["expected_sarsa"] < min(half["sarsa"], half["q_learning"])  # the narrowest band
    falls = {r: S.cliff_falls(runs[r])[:, 100:].mean() for r in S.RULES}
    assert 0.28 < falls["q_learning"] < 0.4 and max(falls["sarsa"], falls["expected_sarsa"]) < 1 / 15, falls
    assert set(runs["q_learning"]["greedy"]) == {-13.0} and set(runs["expected_sarsa"]["greedy"]) == {-15.0}
    sarsa = runs["sarsa"]["greedy"].tolist()
    assert set(sarsa) <= {-17.0, -200.0} and sarsa.count(-17.0) >= 13  # -200: round in circles for 200 steps
    if seeds == range(20):
        assert sarsa.count(-200.0) == 2  # "on 2 of the 20 seeds"


def test_band_is_a_t_interval():
    mean, half = S.band(np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0]]))
    assert mean.tolist() == [3.0, 2.0] and half[0] == pytest.approx(4.30 * 2 / np.sqrt(3)) and half[1] == 0
    mean, _ = S.band(np.arange(12.0).reshape(2, 6), window=3)
    assert mean.tolist() == [4.0, 5.0, 6.0, 7.0]


# --- section 7: maximisation bias ---------------------------------------------------------------------------------


@pytest.mark.parametrize("first_seed", [0, 10_000], ids=["lesson seeds", "other seeds"])
def test_q_learning_goes_left_double_q_does_not(lib, first_seed):
    q = S.left_share(lib, "q_learning", runs=1_000, episodes=300, first_seed=first_seed)
    d = S.left_share(lib, "double_q", runs=1_000, episodes=300, first_seed=first_seed)
    assert 0.45 < q[0] < 0.55 and 0.45 < d[0] < 0.55  # the first choice is a tie
    assert q.max() > 0.9 and 10 <= q.argmax() + 1 <= 35 and q[-100:].mean() > 0.10, (q.max(), q.argmax())
    assert d.max() < 0.56 and d.argmax() < 10 and 0.05 < d[200:].mean() < 0.09, (d.max(), d[200:].mean())
    assert (q[20:] > d[20:]).all()


@pytest.mark.parametrize("first_seed", [0, 10_000], ids=["lesson seeds", "other seeds"])
def test_the_cause_is_the_maximum_of_noisy_estimates(lib, first_seed):
    q = S.estimates_after(lib, "q_learning", episodes=50, runs=1_000, first_seed=first_seed)
    d = S.estimates_after(lib, "double_q", episodes=50, runs=1_000, first_seed=first_seed)
    assert 0.07 < q["q_a_left"] < 0.13 and q["max_q_b"] > 0, q  # "about +0.10"; true -0.1
    assert -0.02 < d["q_a_left"] < 0.02, d  # "about 0.00"


def test_the_ab_world_stands_for_a_normal_reward():
    mdp, legal = S.max_bias_mdp()
    b = mdp.reward[1, 0]
    assert legal.tolist() == [2, 10, 1] and np.allclose(mdp.prob[1, :10].sum(axis=1), 1)
    assert b.mean() == pytest.approx(-0.1, abs=1e-12) and b.std() == pytest.approx(1.0, abs=1e-12)
    assert (mdp.reward[1] == b).all() and mdp.terminated[1, :10].all() and not mdp.terminated[0, S.LEFT, 0]


def test_go_left_share_matches_plain_python_with_a_true_normal(lib):
    """The 100-level reward stands for N(-0.1, 1): a plain-Python Q-learning with numpy's normal agrees."""
    rng, runs = np.random.default_rng(5), 400
    left = np.zeros(60)
    for _ in range(runs):
        qa, qb = np.zeros(2), np.zeros(10)
        for e in range(60):
            a = _eps_greedy(rng, qa)
            if a == S.LEFT:
                left[e] += 1
                b = _eps_greedy(rng, qb)
                qa[a] += 0.1 * (qb.max() - qa[a])
                qb[b] += 0.1 * (rng.normal(-0.1, 1) - qb[b])
            else:
                qa[a] += 0.1 * (0 - qa[a])
    go = S.left_share(lib, "q_learning", runs=runs, episodes=60, first_seed=77)
    for lo, hi in ((0, 10), (10, 30), (30, 60)):
        assert abs(go[lo:hi].mean() - left[lo:hi].mean() / runs) < 0.05, (lo, go[lo:hi].mean(), left[lo:hi].mean())


def _eps_greedy(rng, row, epsilon=0.1):
    if rng.random() < epsilon:
        return int(rng.integers(len(row)))
    return int(rng.choice(np.flatnonzero(row == row.max())))


# --- the bridge: rules from Go, checks before the call --------------------------------------------------------------


def test_the_rule_names_come_from_go(lib):
    assert rules(lib) == ("q_learning", "sarsa", "expected_sarsa", "double_q")


@pytest.mark.parametrize("kw, error, match", [
    ({"rule": "sarsa_lambda"}, ValueError, "rule must be one of q_learning, sarsa"),
    ({"rule": "double_q"}, ValueError, "give q2"),
    ({"q2": np.zeros((48, 4))}, ValueError, "give q2"),
    ({"legal": np.zeros(48, dtype=np.int64)}, ValueError, "legal action counts"),
    ({"legal": np.full(47, 4, dtype=np.int64)}, ValueError, "legal must have shape"),
    ({"visits": np.zeros((48, 4))}, TypeError, "visits must have dtype int64"),
    ({"visits": np.zeros((48, 4), dtype=np.int64), "omega": 2.0}, ValueError, "omega must be in"),
    ({"visits": np.full((48, 4), -1, dtype=np.int64)}, ValueError, "visit counts"),
])
def test_bad_options_are_refused_with_a_clear_error(lib, cliff, kw, error, match):
    q = np.zeros((48, 4))
    settings = dict(rule="q_learning", alpha=0.5, gamma=1.0, epsilon=0.1, max_steps=10, episodes=2)
    with pytest.raises(error, match=match):
        run_control(lib, cliff, q, **{**settings, **kw}, state=seed_state(lib, 0))
    assert not q.any()


def test_uniforms_are_used_as_documented(lib, cliff):
    q, u = np.zeros((48, 4)), np.random.default_rng(0).random(10_000)
    _, lengths, used = run_control(lib, cliff, q, rule="sarsa", alpha=0.5, gamma=1.0, epsilon=0.1, max_steps=50,
                                   episodes=5, uniforms=u)
    assert used == 3 * 5 + 4 * int(lengths.sum())
