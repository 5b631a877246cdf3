"""Every exercise check of every lesson (issue 16 A7, issue 19 item 8).

- every check cell has wrong-answer probes in tests/exercise_probes.py, which tests/test_classroom.py runs
  in the student copy ("not yet"), followed by the lesson's solutions (PASS);
- no student copy holds an answer: no check cell or hint holds the expected value or the solution code
  (the checks call helpers/lessons/answers.py, which recomputes it);
- lesson 06 exercise 3's old check passed a wrong sweep (`A and B and C if "alpha" in df else D` is
  `(A and B and C) if ... else D`): its check now refuses it.
"""

import re

import exercise_probes
import nbformat
import pandas as pd
import pytest

from helpers.lessons import answers
from helpers.tooling import notebooks, student

LESSONS = notebooks.lessons()


def checked_exercises(nb) -> set:
    """The exercise numbers of the lesson's (non-solution) check cells."""
    return {int(n) for c in nb.cells if c.cell_type == "code" and not student.is_solution(c)
            for n in re.findall(r"\bcheck\((\d+),", c.source)}


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_check_cell_has_wrong_answer_probes(path):
    nb = nbformat.read(path, as_version=4)
    lesson = path.name[:2]
    assert checked_exercises(nb) == set(exercise_probes.WRONG[lesson]), (path.name, checked_exercises(nb))
    for number, wrongs in exercise_probes.WRONG[lesson].items():
        assert wrongs and exercise_probes.check_cell(nb, number)


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_no_student_copy_holds_an_answer(path, tmp_path):
    copy = nbformat.read(student.write_student_copies([path], tmp_path)[0], as_version=4)
    text = "\n".join(c.source for c in copy.cells)
    leaked = [a for a in exercise_probes.ANSWERS[path.name[:2]] if a in text]
    assert not leaked, f"{path.name}: the student copy shows answers: {leaked}"
    # ... while the lesson's own solutions do hold them (so the list above is about real answers).
    solutions = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if student.is_solution(c))
    assert any(a in solutions for a in exercise_probes.ANSWERS[path.name[:2]]), path.name


def sweep_frame(epsilons, seeds, fixed: dict) -> pd.DataFrame:
    """A table shaped as sweep() returns it (the real sweep runs in the lesson's probes)."""
    df = pd.DataFrame([{"trial": i, "epsilon": e, "seed": s, "success": 0.5}
                       for i, (e, s) in enumerate((e, s) for e in epsilons for s in seeds)])
    df.attrs.update(grid={"epsilon": list(epsilons)}, seeds=list(seeds), fixed=fixed)
    return df


def test_lesson06_exercise3_refuses_what_the_old_check_passed():
    right = sweep_frame([0.05, 0.2, 0.5], range(4), {"alpha": 0.03, "gamma": 0.99})
    assert answers.l06_epsilon_sweep(right)
    for wrong in (sweep_frame([0.9], range(1), {"alpha": 0.03, "gamma": 0.99}),   # the example
                  sweep_frame([0.05, 0.2, 0.5], range(4), {"alpha": 0.1, "gamma": 0.99}),
                  sweep_frame([0.05, 0.2, 0.5], range(1, 5), {"alpha": 0.03, "gamma": 0.99}),
                  None, "eps"):
        assert not answers.l06_epsilon_sweep(wrong)


def test_the_answers_take_half_finished_answers_quietly():
    for check, args in ((answers.l01_update, (None,)), (answers.l03_update, ("x",)), (answers.l04_target_and_update,
                        (None, None)), (answers.l05_dqn_targets, (None, 1.0)), (answers.l05_q_panel, (20.0, None))):
        assert check(*args) is False
    assert answers.l01_update(1.36) and answers.l03_update(0.325) and answers.l05_dqn_targets(5.5, 4.6)
    assert answers.l05_q_panel(20.0, 100) and not answers.l05_q_panel(20.0, 100.5)
