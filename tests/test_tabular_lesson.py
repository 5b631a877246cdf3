"""Lesson 03's predictions, run at the lesson's own lengths (not fast mode), seeded, over several seeds;
the TabularAgent's lifecycle; the TabularFigure; and the SARSA exercise's edit, built for real."""

import ast
import time
from collections import deque

import nbformat
import numpy as np
import pytest
from polling import wait_until

from helpers.agents.mdp import from_gymnasium, value_iteration
from helpers.agents.tabular_agent import TabularAgent
from helpers.bridge import golib
from helpers.bridge.tabular import TabularMDP, greedy_success, run_episodes, seed_state
from helpers.core.knobs import Hyperparams
from helpers.lessons.table_tools import greedy_path, runner_loop, scratch_runner, train_here, train_in_fresh_process
from helpers.runs.lifecycle import Status
from helpers.tooling import notebooks
from helpers.views.tabular_figure import TabularFigure

SEEDS = range(5)
LESSON = notebooks.NOTEBOOK_DIR / "03_q_learning_in_a_table.ipynb"
CLIFF = dict(env="CliffWalking-v1", alpha=0.5, gamma=1.0, epsilon=0.1, episodes=2_000, max_steps=200)


@pytest.fixture(scope="module")
def worlds():
    return {"lake": from_gymnasium("FrozenLake-v1", is_slippery=False),
            "lake8": from_gymnasium("FrozenLake-v1", map_name="8x8", is_slippery=False),
            "cliff": from_gymnasium("CliffWalking-v1")}


def agent(lib, env="FrozenLake-v1", steps=0, **kw):
    """A TabularAgent trained `steps` steps of 50 episodes."""
    a = TabularAgent.create(env, lib=lib, **kw)
    return a.train(steps) if steps else a


def distances(mdp) -> np.ndarray:
    """Steps from each state to the goal on a deterministic grid (-1: holes, goal's own 0)."""
    d = np.full(mdp.shape[0], -1)
    d[list(mdp.goal)] = 0
    todo = deque(mdp.goal)
    while todo:
        t = todo.popleft()
        for s in range(mdp.shape[0]):
            if d[s] < 0 and s not in mdp.holes and (mdp.next[s, :, 0] == t).any():
                d[s] = d[t] + 1
                todo.append(s)
    return d


# --- section 1 and 3: by hand, and the table filling in ---------------------------------------------------------


def test_worked_updates(lib):
    assert lib.q_update_scalar(0.0, 1.0, 0.0, True, 0.5, 0.9) == pytest.approx(0.5)
    assert lib.q_update_scalar(0.0, 0.0, 0.5, False, 0.5, 0.9) == pytest.approx(0.225)


@pytest.mark.parametrize("seed", SEEDS)
def test_table_fills_in_from_the_goal_backwards(lib, worlds, seed):
    mdp, q, state, done = worlds["lake"], np.zeros((16, 4)), seed_state(lib, seed), 0
    while True:
        r, _, _ = run_episodes(lib, mdp, q, alpha=0.5, gamma=0.95, epsilon=0.5, max_steps=100, episodes=1, state=state)
        done += 1
        if r[0] > 0:
            break
    assert np.argwhere(q != 0).tolist() == [[14, 2]]  # exactly one entry: Q(14, right)
    counts = []
    for target in (100, 300, 1_000):
        run_episodes(lib, mdp, q, alpha=0.5, gamma=0.95, epsilon=0.5, max_steps=100, episodes=max(target - done, 0),
                     state=state)
        done = max(done, target)
        v = q.max(axis=1)
        for s in np.flatnonzero(v > 0):  # every valued cell leads to a valued cell or to G
            assert any(v[mdp.next[s, a, 0]] > 0 or mdp.next[s, a, 0] in mdp.goal for a in range(4))
        counts.append(int((v > 0).sum()))
    assert counts == sorted(counts) and counts[-1] == 11, counts


# --- section 5: the four experiments ----------------------------------------------------------------------------


@pytest.mark.parametrize("gamma", [0.5, 0.9])
def test_a_values_fall_like_gamma_to_the_distance(worlds, gamma):
    mdp = worlds["lake8"]
    d, v = distances(mdp), value_iteration(mdp, gamma).max(axis=1)
    ok = d > 0
    np.testing.assert_allclose(v[ok], gamma ** (d[ok] - 1.0), rtol=1e-9)
    assert d[0] == 14


@pytest.mark.parametrize("seed", SEEDS)
def test_a_small_gamma_fades_before_the_start(lib, worlds, seed):
    for gamma, start, lit in ((0.5, 0.5**13, lambda n: 14 <= n <= 23), (0.9, 0.9**13, lambda n: n >= 40)):
        a = agent(lib, steps=100, map_name="8x8", is_slippery=False, alpha=0.5, gamma=gamma, epsilon=0.5, seed=seed)
        v = a.q.max(axis=1)
        assert v[0] == pytest.approx(start, rel=1e-6)
        assert lit(int((v > 0.01).sum())), (gamma, int((v > 0.01).sum()))
        assert greedy_success(lib, worlds["lake8"], a.q, episodes=100)[0] == 1.0


@pytest.mark.parametrize("seed", SEEDS)
def test_b_alpha_one_keeps_jumping_alpha_small_settles(lib, seed):
    last = {}
    for alpha in (1.0, 0.1):
        a = agent(lib, steps=400, is_slippery=True, alpha=alpha, gamma=0.9, epsilon=0.5, seed=seed)
        last[alpha] = a.history.snapshot()["loss"][-100:]  # the last 5,000 of 20,000 episodes
    big, small = last[1.0], last[0.1]
    assert 0.45 < big.mean() < 0.65 and big.min() > 0.2 and big.max() > 0.6, big  # "between 0.3 and 0.7"
    assert small.mean() < 0.15 and big.mean() > 3.5 * small.mean(), (big.mean(), small.mean())  # "4 to 5 times lower"
    assert big.std() > 2 * small.std()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("key", ["lake", "lake8"])
def test_c_epsilon_zero_still_finds_the_goal_but_learns_one_route(lib, worlds, key, seed):
    mdp, counts = worlds[key], {}
    for epsilon in (0.0, 0.5):
        a = agent(lib, steps=40, **mdp.env_kwargs, alpha=0.5, gamma=0.95, epsilon=epsilon, seed=seed)
        assert greedy_success(lib, mdp, a.q, episodes=100)[0] == 1.0
        assert len(a.greedy_path()) - 1 == {"lake": 6, "lake8": 14}[key]  # a shortest route, on these seeds
        counts[epsilon] = int((a.q > 0).sum())
    assert counts[0.0] <= 25 and counts[0.0] * 3 < counts[0.5], counts


@pytest.mark.parametrize("seed", SEEDS)
def test_d_q_learning_walks_the_cliff_edge(lib, worlds, seed):
    a = agent(lib, "CliffWalking-v1", steps=40, alpha=0.5, gamma=1.0, epsilon=0.1, seed=seed, max_steps=200)
    path, ret = a.play_greedy()
    assert ret == -13.0 and path == [36, *range(24, 36), 47]


# --- the SARSA exercise ---------------------------------------------------------------------------------------------


def solution_loop() -> str:
    """MY_LOOP as the lesson's solution cell writes it."""
    nb = nbformat.read(LESSON, as_version=4)
    for cell in nb.cells:
        if "solution" in cell.metadata.get("tags", []) and "MY_LOOP =" in cell.source:
            node = next(n for n in ast.parse(cell.source).body if isinstance(n, ast.Assign)
                        and getattr(n.targets[0], "id", "") == "MY_LOOP")
            return ast.literal_eval(node.value).lstrip("\n")
    raise AssertionError("no solution cell sets MY_LOOP")


def test_sarsa_edit_walks_a_safer_path(lib, worlds, tmp_path):
    assert runner_loop() in (golib.GO_DIR / "qlearn" / "tabular.go").read_text()
    src = scratch_runner(tmp_path / "sarsa", solution_loop())
    assert "q[s2*nA+a2]" in (src / "qlearn" / "tabular.go").read_text()
    built = golib.build(src=src, out_dir=tmp_path / "build", quiet=True)
    cliff = worlds["cliff"]
    for seed in SEEDS:
        sarsa = train_in_fresh_process(built, **CLIFF, seed=seed)
        beside_cliff = [s for s in sarsa["path"] if 24 <= s < 36]
        assert sarsa["path"][-1] in cliff.goal and sarsa["return"] == -17.0, (seed, sarsa)
        assert len(beside_cliff) <= 4, (seed, sarsa["path"])  # Q-learning's path: all 12 cells of that row
        assert train_here(lib, **CLIFF, seed=seed)["return"] == -13.0


def test_unedited_copy_is_still_q_learning(tmp_path):
    src = scratch_runner(tmp_path / "same", runner_loop())
    assert (src / "qlearn" / "tabular.go").read_text() == (golib.GO_DIR / "qlearn" / "tabular.go").read_text()


# --- the agent: lifecycle, knob changes, determinism ----------------------------------------------------------------


def test_lifecycle_and_knob_change_recorded_at_its_step(lib):
    a = agent(lib, is_slippery=True, alpha=0.1, gamma=0.95, epsilon=0.5, seed=3)
    a.start()
    wait_until(lambda: a.step_count >= 3, 10, "three steps")
    a.pause()
    assert a.status == Status.PAUSED
    paused_at = a.step_count
    a.set("alpha", 0.5)
    a.resume()
    wait_until(lambda: a.step_count >= paused_at + 5, 10, "five more steps")
    a.stop()
    assert a.status == Status.STOPPED
    step, name, old, new = a.history.changes[-1]
    assert (step, name, old, new) == (paused_at, "alpha", 0.1, 0.5)
    snap = a.history.snapshot()
    assert snap["alpha"][paused_at - 1] == 0.1 and snap["alpha"][paused_at] == 0.5
    assert snap["episode"][-1] == 50 * a.step_count == a.episode
    a.reset()
    assert a.step_count == 0 and not a.q.any() and len(a.history) == 0 and a.params.alpha == 0.5


def test_same_seed_same_table_however_the_steps_are_cut(lib):
    one = agent(lib, steps=30, is_slippery=True, seed=7)
    two = agent(lib, steps=10, is_slippery=True, seed=7).train(20)
    np.testing.assert_array_equal(one.q, two.q)
    other = agent(lib, steps=30, is_slippery=True, seed=8)
    assert not np.array_equal(one.q, other.q)
    one.reset()
    np.testing.assert_array_equal(one.train(30).q, two.q)


@pytest.mark.parametrize("max_steps", [0, -5, 2.5, True, 10**10])
def test_a_bad_max_steps_is_refused_when_the_agent_is_made(lib, max_steps):
    with pytest.raises(ValueError, match=r"max_steps is the step limit of one episode: a whole number from 1 to "):
        TabularAgent.create("FrozenLake-v1", lib=lib, max_steps=max_steps)
    assert TabularAgent.create("FrozenLake-v1", lib=lib).max_steps == 100  # None: the env's own limit
    assert TabularAgent.create("FrozenLake-v1", lib=lib, max_steps=7).max_steps == 7


def test_gamma_change_recomputes_q_star(lib):
    a = agent(lib, steps=5, seed=0)
    a.set("gamma", 0.5)
    a.train(1)
    assert a.q_star(0.5, wait=30) is not None
    a.train(1)
    np.testing.assert_allclose(a.history.last()["loss"], np.abs(a.q - value_iteration(a.mdp, 0.5)).max())


def random_world(n: int, seed: int = 0) -> TabularMDP:
    """n states, 4 actions, 3 equally likely random next states each; reaching the last state pays 1 and ends."""
    rng = np.random.default_rng(seed)
    nxt = rng.integers(0, n, (n, 4, 3)).astype(np.int64)
    start = np.zeros(n)
    start[0] = 1.0
    return TabularMDP(np.full((n, 4, 3), 1 / 3), nxt, (nxt == n - 1).astype(np.float64),
                      (nxt == n - 1).astype(np.uint8), start, name="random")


def test_stop_answers_within_a_second_during_a_huge_chunk(lib):
    """A step of 10**8 episodes (about half a minute in Go) ends at the next Go call once stop() is asked."""
    a = TabularAgent.create("FrozenLake-v1", lib=lib, is_slippery=True, chunk=10**8, seed=0).start()
    wait_until(lambda: a._in_step, 30, "the first step")
    time.sleep(0.5)  # inside the step's Go calls
    start = time.perf_counter()
    a.stop()
    stop_s = time.perf_counter() - start
    print(f"stop() during a 10**8-episode step answered in {stop_s * 1000:.0f} ms")
    assert stop_s < 1.0 and a.status == Status.STOPPED, (stop_s, a.status)
    assert a.step_count == 1 and 0 < a.episode < 10**8 and a.history.last()["episode"] == a.episode, a.episode
    a.start()  # a pause answers the same way
    wait_until(lambda: a._in_step, 30, "the next step")
    time.sleep(0.5)
    start = time.perf_counter()
    a.pause()
    pause_s = time.perf_counter() - start
    assert pause_s < 1.0 and a.status == Status.PAUSED, (pause_s, a.status)
    a.stop()


def test_a_gamma_change_on_a_large_table_does_not_stall_the_steps(lib):
    """Q* for the new gamma is solved in the background: steps go on meanwhile (loss NaN until it is ready)."""
    a = TabularAgent(random_world(8_000), lib=lib, params=Hyperparams(alpha=0.1, gamma=0.9, epsilon=0.5), chunk=10,
                     max_steps=50)
    assert a.q_star(0.9, wait=120) is not None
    a.set("gamma", 0.97)
    start = time.perf_counter()
    a.train(3)
    steps_s = time.perf_counter() - start
    assert a.q_star(0.97, wait=120) is not None
    solve_s = time.perf_counter() - start
    print(f"3 steps in {steps_s * 1000:.0f} ms while Q* for the new gamma took {solve_s:.1f} s")
    assert np.isnan(a.history.last()["loss"]) and steps_s < 0.25 * solve_s
    a.train(1)
    np.testing.assert_allclose(a.history.last()["loss"], np.abs(a.q - value_iteration(a.mdp, 0.97, tol=1e-9)).max())


def test_greedy_path_on_the_lake(lib, worlds):
    q = value_iteration(worlds["lake"], 0.9)
    shortest = ([0, 4, 8, 9, 13, 14, 15], [0, 4, 8, 9, 10, 14, 15], [0, 1, 2, 6, 10, 14, 15])
    assert greedy_path(worlds["lake"], q) in shortest


# --- the figure -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("env, kw", [("FrozenLake-v1", {"map_name": "8x8"}), ("CliffWalking-v1", {"max_steps": 200})])
def test_figure_renders_and_changes_with_q(lib, env, kw):
    a = agent(lib, env, **kw)
    fig = TabularFigure()
    empty = fig.update(a.snapshot()).png()
    assert empty[:8] == b"\x89PNG\r\n\x1a\n"
    a.train(20)
    a.set("alpha", 0.2)
    a.train(2)
    trained = fig.update(a.snapshot()).png()
    assert trained != empty
    width, height = fig.canvas.get_width_height()
    assert (width, height) == (840, 420), "840 px: unshrunk beside JupyterLab's file browser at 1280 px"


def test_the_exercise_starts_from_the_runner_as_it_is():
    nb = nbformat.read(LESSON, as_version=4)
    starter = next(c.source for c in nb.cells if "MY_LOOP =" in c.source
                   and "solution" not in c.metadata.get("tags", []))
    node = next(n for n in ast.parse(starter).body if isinstance(n, ast.Assign)
                and getattr(n.targets[0], "id", "") == "MY_LOOP")
    assert ast.literal_eval(node.value).lstrip("\n") == runner_loop()
