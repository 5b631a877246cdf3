"""Lesson 06's DQN sweep (section 7): each statement about its learning curves, checked on the lesson's own
sweep at its full length (the seeds and the budget are read from the lesson's cell).

Measured 2026-12-06 (5 seeds x 46,080 steps, about 400 s on 2 workers of a heavily loaded 2-core machine):
first solve at 23,040 / 38,400 / 33,280 / 43,520 / 35,840 for seeds 0-4; evaluations below 475 after the
first solve 3 / 3 / 2 / 1 / 1 (of 9 / 3 / 5 / 1 / 4); final evaluations 410.4 / 107.0 / 45.5 / 104.1 / 500.0.
The same first solves as the bench's solve runs (tooling/bench/dqn.py): the runs are deterministic.
"""

import re

import lesson_setup
import pytest

from helpers.sweeps import sweep as S
from helpers.sweeps.figure import after_solving, curves
from helpers.tooling import notebooks

LESSON = notebooks.NOTEBOOK_DIR / "06_sweep_alpha_and_gamma.ipynb"



def cell_value(name: str) -> int:
    """`DQN_BUDGET = 2_560 if FAST else 46_080` in the lesson's DQN cell -> 46080 (the full-length value)."""
    source = next(c.source for c in lesson_setup.cells(LESSON) if f"{name} = " in c.source)
    match = re.search(rf"^{name} = (?:\S+ if FAST else )?([\d_]+)", source, flags=re.M)
    assert match, f"the lesson no longer defines {name}"
    return int(match.group(1))


def said(phrase: str) -> None:
    text = " ".join(" ".join(c.source.split()) for c in lesson_setup.cells(LESSON) if c.cell_type == "markdown")
    assert " ".join(phrase.split()) in text, f"the lesson no longer says: {phrase!r}"


@pytest.fixture(scope="module")
def lesson_sweep():
    """The lesson's DQN sweep, exactly as its cell runs it (full length), and its after-solving table."""
    df = S.sweep("dqn", {"alpha": [1.0]}, seeds=range(cell_value("DQN_SEEDS")),
                 fixed={"max_steps": cell_value("DQN_BUDGET"), "until_solved": False}, progress=False)
    table = after_solving(df)
    print(table)
    return df, table


def test_the_lesson_sweep_is_five_seeds_with_eighteen_evaluations(lesson_sweep):
    df, _ = lesson_sweep
    said("Here `DQN_SEEDS` seeds train the default DQN (α = 1, γ = 0.99) for the whole budget")
    assert cell_value("DQN_SEEDS") == 5 and len(df) == 5
    assert curves(df).columns.tolist() == [2_560 * k for k in range(1, 19)]  # "18 greedy evaluations"


def test_all_seeds_solve_at_very_different_times(lesson_sweep):
    _, t = lesson_sweep
    said("each reaches 475 within the budget, but the latest seed's first solve comes more than 15,000 "
         "environment steps after the earliest's")
    assert t.first_solve.notna().all(), t
    assert t.first_solve.max() - t.first_solve.min() > 15_000, t


def test_every_seed_falls_below_475_after_its_first_solve(lesson_sweep):
    _, t = lesson_sweep
    said("after its first solve, *every* seed falls below 475 again at a later evaluation")
    assert (t.fell_below >= 1).all(), t


def test_the_end_looks_worse_than_the_first_solve(lesson_sweep):
    _, t = lesson_sweep
    said("at the end of the budget at most two of the five seeds are still at 475 or above, and the mean final "
         "evaluation is below 350")
    assert (t.final >= 475).sum() <= 2 and t.final.mean() < 350, t
