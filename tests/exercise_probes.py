"""Wrong answers for every exercise check of every lesson, and what a student copy must never show.

tests/test_classroom.py runs each student copy with these probes appended: for exercise N, each wrong
answer followed by the lesson's own check cell must print "Exercise N: not yet"; then the lesson's
solution cells, appended after them, must print "Exercise N: PASS". tests/test_exercise_checks.py checks
that every check cell of every lesson has probes here, and that no student copy holds an answer.
"""

import nbformat

from helpers.tooling import student

SIGN_LINES = '"\\tif reward > 0 {\\n\\t\\treward = 1\\n\\t} else if reward < 0 {\\n\\t\\treward = -1\\n\\t}\\n"'

# {lesson number: {exercise: [source that sets a wrong answer, ...]}}
WRONG = {
    "01": {1: ["my_update = 1.5", "my_update = 0.8"],
           2: ["my_max_next_q = 0.0", "my_max_next_q = 2.0"],
           3: ["SIGN_BUILD"]},  # the exercise's build cell with each reward's sign instead of clipping
    "02": {1: ["my_targets = [3.7, -0.45, 2.6]", "my_targets = [3.7, 0.0, -1.0]"],
           2: ["my_rewards = np.array(csv_rewards)", "my_rewards = np.zeros(4)"],
           3: ["my_ratio = 1000.0"],
           4: ["my_break_even = 1_000_000"]},
    "03": {1: ["my_q = 0.45", "my_q = 0.2"],
           2: ["my_start_value = 0.9 ** 6", "my_start_value = 1.0"],
           3: ['agent.set("epsilon", 0.3)', 'agent.set("epsilon", 0.1)'],  # the second one undoes the first
           4: ["sarsa = train_here(lib, **CLIFF)"]},  # Q-learning's own path, along the cliff
    "04": {1: ["answer_1 = 4 * 32 + 32 * 2"],
           2: ["td_target_2, updated_q_2 = 2.8, 2.8", "td_target_2, updated_q_2 = 1.8, 1.9"],
           3: ["answer_3 = next(c for c in (3, 30, 300) if c != answers.l04_batch_gain_choice(speeds))"],
           4: ["answer_4 = 4", "answer_4 = 1"],
           5: ["answer_5 = 0.5", "answer_5 = 5.0"]},
    "05": {1: ["y_goes_on, y_fell = 10.0, 1.0", "y_goes_on, y_fell = 5.5, 5.0"],
           2: ["q_never_falls_095, steps_left = 100.0, 100", "q_never_falls_095, steps_left = 20.0, 63"],
           3: ['first_step_gamma_0 = next(s for s, n, _, v in agent.snapshot()["changes"]\n'
               '                          if n == "gamma" and v == 0.9)', "first_step_gamma_0 = 0"]},
    "06": {1: ["my_best = (table['mean'][0.9].idxmax(), 0.9)", "my_best = table['mean'][0.9].idxmin()"],
           2: ["my_count = 25", "my_count = int((table['mean'] >= 0.7).to_numpy().sum()) + 1"],
           3: ['eps_df = sweep("tabular", {"epsilon": [0.9]}, seeds=range(1), fixed={"alpha": 0.03, "gamma": 0.99})',
               'eps_df = sweep("tabular", {"epsilon": [0.05, 0.2, 0.5]}, seeds=range(4), '
               'fixed={"alpha": 0.1, "gamma": 0.99})']},
}

# Text no student copy may hold: each check's expected value, and solution code a hint used to give away.
ANSWERS = {
    "01": ["1.36", "1.4, -0.5, 1.15", "reward = max(-1, min(reward, 1))"],
    "02": ["3.7, -0.45", "np.asarray(..., dtype=float)", "dtype=float)"],
    "03": ["0.325", "0.59", "0.9 ** 5", 'agent.set("epsilon", 0.2)', 'agent.set("epsilon", ...)'],
    "04": ["226", "1.9", "settled at", "(4 * 32 + 32)", "answer_4 = 3", "0.5 / (1 - 0.5)"],
    "05": ["20.0", "== 100", "5.5", "4.6", 'name == "gamma" and new == 0.0', "log(1 − 0.634)/log(0.99)"],
    "06": ["[0.9].idxmax()", "to_numpy().sum()", 'fixed={"alpha": 0.03, "gamma": 0.99})'],
}


def check_cell(nb, number: int) -> nbformat.NotebookNode:
    """The lesson's own (non-solution) code cell that checks exercise `number`."""
    found = [c for c in nb.cells if c.cell_type == "code" and not student.is_solution(c)
             and (f"check({number}," in c.source or f"check_{number}()" in c.source and "def check_" in c.source)]
    assert len(found) == 1, f"{len(found)} check cells for exercise {number}"
    return found[0]


def probe_source(nb, lesson: str, number: int, wrong: str) -> str:
    """One probe: set a wrong answer, then run the lesson's check cell for that exercise."""
    if wrong == "SIGN_BUILD":  # lesson 01's Go exercise: rebuild the copy with the sign, not the clipping
        build = next(c.source for c in nb.cells if c.cell_type == "code" and not student.is_solution(c)
                     and c.source.startswith("MY_GO_LINES ="))
        wrong = "MY_GO_LINES = " + SIGN_LINES + "\n" + build.split("\n", 1)[1]
    return wrong + "\n" + check_cell(nb, number).source


def with_probes(lesson_nb, copy_nb, lesson: str) -> nbformat.NotebookNode:
    """The student copy, then every wrong-answer probe (tagged probe-N), then the lesson's solution cells."""
    nb = nbformat.from_dict(copy_nb)
    for number, wrongs in WRONG[lesson].items():
        for wrong in wrongs:
            cell = nbformat.v4.new_code_cell(probe_source(lesson_nb, lesson, number, wrong))
            cell.metadata["tags"] = [f"probe-{number}"]
            nb.cells.append(cell)
    for cell in lesson_nb.cells:
        if student.is_solution(cell) and cell.cell_type == "code":
            nb.cells.append(nbformat.from_dict(cell))
    return nb
