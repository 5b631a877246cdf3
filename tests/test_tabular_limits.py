"""Time limits and the best possible policy within them (exact dynamic programming), and what the live view
shows for each world: its registered limit, the best possible success (or return), and greedy return where
success (return > 0) means nothing."""

import numpy as np
import pytest

from helpers.agents.horizon import best_within, greedy_within, limit_readout, success_means_something
from helpers.agents.mdp import from_gymnasium, value_iteration
from helpers.agents.tabular_agent import TabularAgent
from helpers.bridge.tabular import greedy_success
from helpers.views.tabular_figure import TabularFigure


@pytest.fixture(scope="module")
def slippery():
    return from_gymnasium("FrozenLake-v1", is_slippery=True)


@pytest.mark.parametrize("env, kwargs, limit", [
    ("FrozenLake-v1", {}, 100), ("FrozenLake-v1", {"map_name": "4x4", "is_slippery": False}, 100),
    ("FrozenLake-v1", {"map_name": "8x8"}, 200), ("FrozenLake-v1", {"map_name": "8x8", "is_slippery": False}, 200),
    ("FrozenLake8x8-v1", {}, 200), ("Taxi-v4", {}, 200), ("CliffWalking-v1", {}, None)])
def test_the_registered_time_limit_is_used(env, kwargs, limit):
    assert from_gymnasium(env, **kwargs).max_steps == limit


def test_best_within_the_limit_is_exact(slippery):
    assert best_within(slippery, 100) == pytest.approx(0.74419, abs=1e-5)  # the best time-dependent policy
    q99 = value_iteration(slippery, 0.99)
    assert greedy_within(slippery, q99, 100) == pytest.approx(0.74016, abs=1e-5)  # the greedy stationary one
    assert greedy_within(slippery, q99, 100_000) == pytest.approx(14 / 17, abs=1e-9)  # no limit: 0.8235
    lake8 = from_gymnasium("FrozenLake-v1", map_name="8x8")
    assert best_within(lake8, 200) == pytest.approx(0.9132, abs=1e-4)
    assert best_within(lake8, 100) == pytest.approx(0.6407, abs=1e-4)  # what the silent 100-step limit allowed
    assert best_within(from_gymnasium("CliffWalking-v1"), 200) == -13.0


@pytest.mark.parametrize("seed", range(3))
def test_greedy_within_agrees_with_go_playing_it(lib, slippery, seed):
    q = value_iteration(slippery, 0.95) + np.random.default_rng(seed).normal(0, 0.02, (16, 4))  # some policy
    exact = greedy_within(slippery, q, 100)
    played, _ = greedy_success(lib, slippery, q, episodes=40_000, max_steps=100, seed=seed)
    assert abs(played - exact) < 4 * np.sqrt(exact * (1 - exact) / 40_000), (played, exact)
    assert exact <= best_within(slippery, 100) + 1e-12


def test_ties_are_split_as_go_splits_them(lib, slippery):
    q = np.zeros((16, 4))  # all tied: the greedy runner walks at random
    played, _ = greedy_success(lib, slippery, q, episodes=40_000, max_steps=100, seed=1)
    exact = greedy_within(slippery, q, 100)
    assert abs(played - exact) < 4 * np.sqrt(exact * (1 - exact) / 40_000), (played, exact)


def test_success_means_something_only_where_the_goal_is_the_only_reward():
    assert success_means_something(from_gymnasium("FrozenLake-v1", map_name="8x8"))
    assert not success_means_something(from_gymnasium("CliffWalking-v1"))
    assert not success_means_something(from_gymnasium("Taxi-v4"))
    assert limit_readout(from_gymnasium("FrozenLake-v1"), 100) == "100-step limit, best possible success 74%"


def test_bad_steps_are_refused(slippery):
    with pytest.raises(ValueError, match="whole number"):
        best_within(slippery, 2.5)


def test_the_live_view_shows_the_limit_and_the_best_possible(lib):
    agent = TabularAgent.create("FrozenLake-v1", map_name="8x8", is_slippery=True, lib=lib)
    items = dict(agent.status_items())
    assert agent.max_steps == 200
    assert items["time limit"] == "200 steps" and items["best possible"] == "91%"
    assert "greedy success" in items


@pytest.mark.parametrize("env, kw", [("Taxi-v4", {}), ("CliffWalking-v1", {"max_steps": 200})])
def test_greedy_return_is_shown_where_success_means_nothing(lib, env, kw):
    agent = TabularAgent.create(env, lib=lib, alpha=0.5, gamma=0.99, epsilon=0.1, **kw).train(20)  # 1,000 episodes
    items = dict(agent.status_items())
    assert "greedy success" not in items and items["greedy return"] == f"{agent.snapshot()['greedy_return'][-1]:.3g}"
    fig = TabularFigure().update(agent.snapshot())
    assert not fig.ax_ok.get_visible() and len(fig.greedy_line.get_xdata()) == 2
    assert len(fig.ok_line.get_xdata()) == 0


def test_lesson_03_says_what_the_status_line_shows():
    from helpers.tooling import notebooks

    text = (notebooks.NOTEBOOK_DIR / "03_q_learning_in_a_table.ipynb").read_text()
    lake8 = from_gymnasium("FrozenLake-v1", map_name="8x8", is_slippery=True)
    assert f"{best_within(lake8, lake8.max_steps):.0%}" == "91%" and lake8.max_steps == 200
    assert "200 steps" in text and "best possible** success within it, 91%" in text
