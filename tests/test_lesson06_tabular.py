"""Lesson 06's tabular statements that do not need the sweep: the best possible success within the time limit
(exact dynamic programming) and what discounting does to the optimum. Each number the lesson quotes is
recomputed here and looked up in the lesson's text."""

import numpy as np
import pytest

from helpers.agents.horizon import best_within, greedy_outcomes, greedy_within
from helpers.agents.mdp import from_gymnasium, value_iteration
from helpers.tooling import notebooks

LESSON = notebooks.NOTEBOOK_DIR / "06_sweep_alpha_and_gamma.ipynb"
GAMMAS = (0.5, 0.8, 0.9, 0.95, 0.99)


@pytest.fixture(scope="module")
def lake():
    return from_gymnasium("FrozenLake-v1", map_name="4x4", is_slippery=True)


@pytest.fixture(scope="module")
def text():
    return LESSON.read_text()


def test_the_time_limit_and_the_best_possible_are_quoted_exactly(lake, text):
    assert lake.max_steps == 100 and "100 steps" in text
    assert f"{best_within(lake, 100):.3f}" == "0.744" and "74.4%" in text and "0.744" in text
    assert "73%" not in text  # the old Monte Carlo guess


def test_discounting_changes_the_optimum(lake, text):
    success = {g: greedy_within(lake, value_iteration(lake, g), 100) for g in GAMMAS}
    assert [f"{success[g]:.3f}" for g in GAMMAS] == ["0.447", "0.447", "0.730", "0.730", "0.740"]
    for quoted in ("44.7%", "73.0%", "74.0%", "0.740"):
        assert quoted in text, quoted
    assert all(success[g] < best_within(lake, 100) for g in GAMMAS)


def test_the_small_gamma_policy_is_quicker_and_riskier(lake, text):
    half, near_one = (value_iteration(lake, g) for g in (0.5, 0.99))
    differ = np.flatnonzero(half.argmax(axis=1) != near_one.argmax(axis=1))
    assert len(differ) == 2 and 0 in differ and (half[0].argmax(), near_one[0].argmax()) == (1, 0)  # down, left
    a, b = greedy_outcomes(lake, half, 100), greedy_outcomes(lake, near_one, 100)
    assert (f"{a['steps_to_goal']:.1f}", f"{b['steps_to_goal']:.1f}") == ("28.6", "38.6")
    assert (f"{a['other_end']:.1%}", f"{b['other_end']:.1%}") == ("54.5%", "15.9%")
    for quoted in ("28.6 steps", "38.6", "54.5%", "15.9%", "differ in two cells"):
        assert quoted in text, quoted
    assert a["goal"] + a["other_end"] + a["time_limit"] == pytest.approx(1.0)


def test_the_test_episodes_standard_error(text):
    assert f"{np.sqrt(0.74 * 0.26 / 1000):.3f}" == "0.014" and "0.014" in text
