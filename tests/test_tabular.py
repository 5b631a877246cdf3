"""Tabular Q-learning in Go: parity with a Python reference on real gymnasium envs, the issue's criteria, and errors."""

import dataclasses

import numpy as np
import pytest

from helpers.agents import mdp as M
from helpers.agents.mdp import CLIFF_CHUNKS, LAKE_CHUNKS, SLIPPERY_CHUNKS, train
from helpers.bridge import reference
from helpers.bridge import tabular as T
from helpers.core.knobs import HyperparamError

SLIPPERY_4x4 = ("FrozenLake-v1", {"is_slippery": True})
LAKE_4x4 = ("FrozenLake-v1", {"is_slippery": False})
LAKE_8x8 = ("FrozenLake-v1", {"map_name": "8x8", "is_slippery": False})
CLIFF = ("CliffWalking-v1", {})


@pytest.fixture(scope="module")
def mdps():
    return {key: M.from_gymnasium(env_id, **kw) for key, (env_id, kw) in
            {"slippery": SLIPPERY_4x4, "lake": LAKE_4x4, "lake8": LAKE_8x8, "cliff": CLIFF}.items()}


def run(lib, mdp, q=None, **kw):
    """run_episodes with small defaults, on fresh zeros unless q is given."""
    q = np.zeros(mdp.prob.shape[:2]) if q is None else q
    args = {"alpha": 0.5, "gamma": 0.9, "epsilon": 0.2, "max_steps": 20, "episodes": 3, **kw}
    if "state" not in kw and "uniforms" not in kw:
        args["uniforms"] = np.random.default_rng(0).random(1000)
    return T.run_episodes(lib, mdp, q, **args)


# --- the tables ---------------------------------------------------------------------------------------------------


def test_from_gymnasium_copies_p_exactly(mdps):
    cliff, lake = mdps["cliff"], mdps["slippery"]
    assert cliff.prob.shape == (48, 4, 1) and cliff.grid == (4, 12) and cliff.goal == (47,)
    assert (cliff.reward[36, 1, 0], cliff.next[36, 1, 0], cliff.terminated[36, 1, 0]) == (-100, 36, 0)  # the cliff
    assert cliff.start[36] == 1 and cliff.terminated[35, 2, 0] == 1
    assert lake.prob.shape == (16, 4, 3) and lake.holes == (5, 7, 11, 12) and lake.max_steps == 100
    np.testing.assert_allclose(lake.prob.sum(axis=2), 1)
    taxi = M.from_gymnasium("Taxi-v4")
    assert taxi.prob.shape[:2] == (500, 6) and abs(taxi.start.sum() - 1) < 1e-12


# --- parity with the Python reference on the real env --------------------------------------------------------------


@pytest.mark.parametrize("key", ["slippery", "cliff"])
def test_go_matches_python_reference(lib, mdps, key):
    mdp = mdps[key]
    uniforms = np.random.default_rng(7).random(200_000)
    q_go, q_py = np.zeros(mdp.prob.shape[:2]), np.zeros(mdp.prob.shape[:2])
    kw = {"alpha": 0.5, "gamma": 0.95, "epsilon": 0.3, "max_steps": 100, "episodes": 300}
    ret_go, len_go, used_go = T.run_episodes(lib, mdp, q_go, uniforms=uniforms, **kw)
    ret_py, len_py, used_py = M.q_learning_reference(mdp.name, mdp, q_py, uniforms=uniforms, **kw)
    assert used_go == used_py == 300 + 3 * len_go.sum()
    np.testing.assert_array_equal(len_go, len_py)
    np.testing.assert_array_equal(ret_go, ret_py)
    np.testing.assert_allclose(q_go, q_py, rtol=0, atol=1e-12)
    assert ret_go.max() > 0 if key == "slippery" else ret_go.min() <= -100  # reached the goal / fell off the cliff


def test_reference_reports_exhausted_uniforms(mdps):
    with pytest.raises(ValueError, match="ran out"):
        M.q_learning_reference("FrozenLake-v1", mdps["slippery"], np.zeros((16, 4)), 0.5, 0.9, 0.1, 100, 10, [0.5] * 4)


# --- the generator stream --------------------------------------------------------------------------------------------


def test_same_seed_same_run_and_chunks_continue_the_stream(lib, mdps):
    mdp = mdps["slippery"]
    kw = {"alpha": 0.3, "gamma": 0.9, "epsilon": 0.2, "max_steps": 100}
    q1, q2, q3 = (np.zeros((16, 4)) for _ in range(3))
    r1, l1, used1 = T.run_episodes(lib, mdp, q1, episodes=100, state=T.seed_state(lib, 3), **kw)
    r2, l2, _ = T.run_episodes(lib, mdp, q2, episodes=100, state=T.seed_state(lib, 3), **kw)
    state = T.seed_state(lib, 3)
    parts = [T.run_episodes(lib, mdp, q3, episodes=50, state=state, **kw) for _ in range(2)]
    np.testing.assert_array_equal(q1, q2)
    np.testing.assert_array_equal(r1, r2)
    np.testing.assert_array_equal(q1, q3)
    np.testing.assert_array_equal(l1, np.concatenate([p[1] for p in parts]))
    assert used1 == sum(p[2] for p in parts) == 100 + 3 * l1.sum()
    q4 = np.zeros((16, 4))
    T.run_episodes(lib, mdp, q4, episodes=100, state=T.seed_state(lib, 4), **kw)
    assert not np.array_equal(q1, q4)


# --- convergence and the criteria ----------------------------------------------------------------------------


def test_converges_to_q_star_on_the_deterministic_lake(lib, mdps):
    mdp = mdps["lake"]
    q = train(lib, mdp, LAKE_CHUNKS, M.LAKE_GAMMA, 100)
    assert np.abs(q - M.value_iteration(mdp, M.LAKE_GAMMA)).max() < 1e-6


@pytest.mark.parametrize("key", ["lake", "lake8"])
def test_greedy_policy_reaches_the_goal_100_of_100(lib, mdps, key):
    mdp = mdps[key]
    q = train(lib, mdp, LAKE_CHUNKS, M.LAKE_GAMMA, mdp.max_steps)
    before = q.copy()
    assert T.greedy_success(lib, mdp, q, episodes=100) == (1.0, 1.0)
    np.testing.assert_array_equal(q, before)  # evaluation ran on a copy


def test_slippery_lake_greedy_success_near_optimal(lib, mdps):
    mdp = mdps["slippery"]
    optimal, _ = T.greedy_success(lib, mdp, M.value_iteration(mdp, M.SLIPPERY_GAMMA), episodes=10_000)
    learned, _ = T.greedy_success(lib, mdp, train(lib, mdp, SLIPPERY_CHUNKS, M.SLIPPERY_GAMMA, 100), episodes=10_000)
    assert optimal > 0.7
    assert abs(learned - optimal) <= 0.02, (learned, optimal)


def test_cliff_walking_greedy_return_is_minus_13(lib, mdps):
    mdp = mdps["cliff"]
    q = train(lib, mdp, CLIFF_CHUNKS, M.CLIFF_GAMMA, M.CLIFF_MAX_STEPS)
    returns, lengths, _ = T.run_episodes(lib, mdp, q.copy(), alpha=0.0, gamma=1.0, epsilon=0.0, max_steps=200,
                                         episodes=10, state=T.seed_state(lib, 0))
    assert returns.tolist() == [-13.0] * 10 and lengths.tolist() == [13] * 10


# --- errors ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["prob", "next", "reward", "terminated", "start"])
def test_wrong_dtype_or_shape_of_each_table_is_refused(lib, mdps, field):
    mdp = mdps["slippery"]
    a = getattr(mdp, field)
    with pytest.raises(TypeError, match=f"mdp.{field} must have dtype"):
        run(lib, dataclasses.replace(mdp, **{field: a.astype(np.float32 if a.dtype != np.float32 else np.int64)}))
    with pytest.raises(ValueError, match=f"mdp.{field} must (have shape|be an \\(nS, nA, K\\) array)"):
        run(lib, dataclasses.replace(mdp, **{field: a[..., 0] if field == "prob" else a[:-1]}))


@pytest.mark.parametrize(("field", "index", "value", "match"), [
    ("reward", (3, 1, 0), np.nan, r"reward\[\(3, 1, 0\)\] is nan"),
    ("prob", (3, 1, 0), 0.1, r"\(PROB\): P\[3\]\[1\] probabilities"),
    ("next", (2, 0, 1), 16, r"\(NEXT_STATE\): P\[2\]\[0\]\[1\] next state = 16"),
    ("next", (2, 0, 1), -1, r"NEXT_STATE"),
    ("terminated", (4, 3, 2), 2, r"\(TERMINATED\): P\[4\]\[3\]\[2\] terminated = 2"),
    ("start", (0,), 0.5, r"start distribution sums to 0.5"),
    ("prob", (3, 1, 2), np.nan, r"\(PROB\): P\[3\]\[1\]\[2\] probability = nan \(state 3, action 1, outcome 2\)"),
    ("start", (5,), np.nan, r"\(PROB\): the start distribution's start\[5\] = nan"),
])
def test_bad_table_values_are_named(lib, mdps, field, index, value, match):
    mdp = mdps["slippery"]
    a = getattr(mdp, field).copy()
    a[index] = value
    with pytest.raises(ValueError, match=match):
        run(lib, dataclasses.replace(mdp, **{field: a}))


@pytest.mark.parametrize(("kw", "error", "match"), [
    ({"alpha": 1.5}, HyperparamError, "alpha"),
    ({"gamma": -0.1}, HyperparamError, "gamma"),
    ({"epsilon": float("nan")}, HyperparamError, "epsilon"),
    ({"max_steps": 0}, ValueError, "max_steps"),
    ({"episodes": -1}, ValueError, "episodes"),
    ({"episodes": 2.0}, ValueError, "episodes"),
    ({"uniforms": np.full(10, 0.5)}, ValueError, r"uniforms ran out after \d+ of 10"),
    ({"uniforms": np.array([0.5, 1.0, 0.2])}, ValueError, r"uniforms\[1\] is 1.0"),
    ({"uniforms": np.full(10, 0.5), "state": np.zeros(4, np.uint64)}, ValueError, "exactly one"),
    ({"state": np.zeros(4, np.int64)}, TypeError, "state must have dtype uint64"),
    ({"state": np.zeros(3, np.uint64)}, ValueError, r"state must have shape \(4,\)"),
    ({"state": np.zeros(4, np.uint64)}, ValueError, "RNG_STATE"),
])
def test_bad_arguments_are_refused(lib, mdps, kw, error, match):
    with pytest.raises(error, match=match):
        run(lib, mdps["slippery"], **kw)


def test_neither_state_nor_uniforms_is_refused(lib, mdps):
    with pytest.raises(ValueError, match="exactly one"):
        T.run_episodes(lib, mdps["lake"], np.zeros((16, 4)), alpha=0.5, gamma=0.9, epsilon=0.1, max_steps=10,
                       episodes=1)


@pytest.mark.parametrize(("q", "error", "match"), [
    (np.zeros((16, 4), np.float32), TypeError, "q must have dtype float64"),
    (np.zeros((4, 16)), ValueError, r"q must have shape \(16, 4\)"),
    (np.zeros((16, 8))[:, ::2], ValueError, "C-contiguous"),
    ([[0.0] * 4] * 16, TypeError, "q must be a NumPy array"),
])
def test_q_must_be_updatable_in_place(lib, mdps, q, error, match):
    with pytest.raises(error, match=match):
        run(lib, mdps["slippery"], q=q)


def test_read_only_and_nan_q_are_refused(lib, mdps):
    q = np.zeros((16, 4))
    q.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        run(lib, mdps["slippery"], q=q)
    q = np.zeros((16, 4))
    q[2, 3] = np.nan
    with pytest.raises(ValueError, match=r"q\[\(2, 3\)\] is nan"):
        run(lib, mdps["slippery"], q=q)


def test_exhausted_uniforms_keep_the_steps_taken(lib, mdps):
    q = np.zeros((48, 4))
    with pytest.raises(ValueError, match="ran out after 199 of 200"):
        run(lib, mdps["cliff"], q=q, alpha=1.0, epsilon=1.0, uniforms=np.full(200, 0.3), episodes=100)
    assert q.min() < 0


# --- DQN targets -----------------------------------------------------------------------------------------------------


@pytest.fixture
def batch():
    rng = np.random.default_rng(5)
    n, actions = 64, 3
    return (rng.normal(size=n), rng.normal(size=(n, actions)), rng.normal(size=n), rng.random(n) < 0.3,
            rng.normal(size=(n, actions)))


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("double", [False, True])
def test_dqn_targets_match_numpy(lib, batch, alpha, double):
    qbar_sa, next_qbar, reward, done, online = batch
    online = online if double else None
    got = lib.dqn_targets(qbar_sa, next_qbar, reward, done, alpha, 0.9, next_q_online=online)
    np.testing.assert_allclose(got, reference.dqn_targets(qbar_sa, next_qbar, reward, done, alpha, 0.9, online),
                               rtol=0, atol=1e-12)


def test_dqn_targets_textbook_cases(lib, batch):
    qbar_sa, next_qbar, reward, done, online = batch
    textbook = reward + 0.9 * (1 - done) * next_qbar.max(axis=1)
    np.testing.assert_allclose(lib.dqn_targets(qbar_sa, next_qbar, reward, done, 1.0, 0.9), textbook, atol=1e-12)
    np.testing.assert_array_equal(lib.dqn_targets(qbar_sa, next_qbar, reward, done, 0.0, 0.9), qbar_sa)
    double = reward + 0.9 * (1 - done) * next_qbar[np.arange(64), online.argmax(axis=1)]
    got = lib.dqn_targets(qbar_sa, next_qbar, reward, done, 1.0, 0.9, next_q_online=online)
    np.testing.assert_allclose(got, double, atol=1e-12)
    assert not np.allclose(got, textbook)


def test_dqn_targets_errors(lib, batch):
    qbar_sa, next_qbar, reward, done, online = batch
    with pytest.raises(ValueError, match="lengths differ"):
        lib.dqn_targets(qbar_sa[:-1], next_qbar, reward, done, 1.0, 0.9)
    with pytest.raises(ValueError, match="next_q_online must have"):
        lib.dqn_targets(qbar_sa, next_qbar, reward, done, 1.0, 0.9, next_q_online=online[:, :2])
    bad = next_qbar.copy()
    bad[4, 1] = np.inf
    with pytest.raises(ValueError, match=r"next_qbar\[\(4, 1\)\] is inf"):
        lib.dqn_targets(qbar_sa, bad, reward, done, 1.0, 0.9)
    with pytest.raises(HyperparamError, match="gamma"):
        lib.dqn_targets(qbar_sa, next_qbar, reward, done, 1.0, 2.0)


def test_tables_given_as_lists_work_like_arrays(lib, mdps):
    mdp = mdps["slippery"]
    lists = T.TabularMDP(*(getattr(mdp, f).tolist() for f in ("prob", "next", "reward", "terminated", "start")))
    assert lists.prob.dtype == np.float64 and lists.next.dtype == np.int64 and lists.terminated.dtype == np.uint8
    q_lists, q_arrays = np.zeros((16, 4)), np.zeros((16, 4))
    run(lib, lists, q=q_lists, episodes=20)
    run(lib, mdp, q=q_arrays, episodes=20)
    assert q_lists.any()
    np.testing.assert_array_equal(q_lists, q_arrays)


@pytest.mark.parametrize(("field", "value", "match"), [
    ("prob", [[0.5, 0.5], [1.0]], r"mdp.prob must be an array \(or nested lists\) of numbers with one length per axis"),
    ("next", [[["a"]]], r"mdp.next must be an array \(or nested lists\) of whole numbers; got list of <U1"),
    ("next", [[[0.5]]], r"mdp.next must be .* of whole numbers; got list of float64"),
    ("start", None, r"mdp.start must be .* numbers; got NoneType"),
])
def test_tables_that_are_not_numbers_say_what_is_needed(mdps, field, value, match):
    mdp = mdps["slippery"]
    tables = {f: getattr(mdp, f) for f in ("prob", "next", "reward", "terminated", "start")}
    with pytest.raises(TypeError, match=match):
        T.TabularMDP(**{**tables, field: value})


def test_a_non_tabular_env_names_itself_and_what_is_needed():
    with pytest.raises(ValueError, match=r"CartPole-v1 is not a tabular environment: .* env.unwrapped.P and discrete "
                                         r"states and actions .*Box"):
        M.from_gymnasium("CartPole-v1")
