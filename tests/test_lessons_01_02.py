"""Lessons 01 and 02: what they tell the learner they will see, checked by running it.

"Truth in lessons": lesson 02 states no speed as a constant. It prints the learner's own
numbers, and each comparison its text makes is tested here on tables measured by the
lesson's own cells (Setup, step 4), several times, in fast mode and once at full length.
Its timing exercises (3 and 4) accept answers within a band around the current table's
value; the test shows that an answer read off one run passes on every other run.

Bounds come from measurements on a shared 2-CPU machine under load (load average ~5,
2026-11-26): 22 runs of step 4 (18 fast, 4 full), noted by each test. Each bound sits
well outside the worst value measured.
"""

import ast
import contextlib
import io
import itertools
import re
import time

import nbformat
import numpy as np
import pytest

from helpers.bridge import reference
from helpers.lessons import answers, boundary, lesson_checks
from helpers.tooling import notebooks

LESSON01 = notebooks.NOTEBOOK_DIR / "01_build_the_go_library.ipynb"
LESSON02 = notebooks.NOTEBOOK_DIR / "02_call_go_with_numpy_arrays.ipynb"
FAST_RUNS = 6


def cells(path):
    return nbformat.read(path, as_version=4).cells


def text(path) -> str:
    """The lesson's markdown, whitespace collapsed (so a sentence can be found across line breaks)."""
    return " ".join(" ".join(c.source for c in cells(path) if c.cell_type == "markdown").split())


def code(path, marker: str, solution: bool = False) -> str:
    """The one code cell holding `marker` (among solution cells, or among the others)."""
    found = [c.source for c in cells(path) if c.cell_type == "code" and marker in c.source
             and ("solution" in c.metadata.get("tags", [])) == solution]
    assert len(found) == 1, f"{path.name}: {len(found)} code cells hold {marker!r}"
    return found[0]


def run(source: str, ns: dict) -> str:
    """Execute a cell's source (IPython magics dropped) in ns; return what it printed."""
    source = "\n".join(ln for ln in source.splitlines() if not ln.startswith("%"))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "lesson cell", "exec"), ns)
    return out.getvalue()


# -- both lessons -----------------------------------------------------------------------

SPEED_CONSTANT = re.compile(
    r"\d[\d.,]*\s*(µs|us|ns|ms|GB/s)\b|\b(tenth|hundredth) of a|about an? (micro|nano|milli)second"
    r"|few (micro|nano|milli)seconds|orders? of magnitude|times faster|x faster", re.I)


@pytest.mark.parametrize("path", [LESSON01, LESSON02], ids=["01", "02"])
def test_no_speed_is_stated_as_a_constant(path):
    found = [m.group(0) for m in SPEED_CONSTANT.finditer(text(path))]
    assert not found, f"{path.name}: speeds stated as constants: {found}; print the learner's measurement"


@pytest.mark.parametrize("path", [LESSON01, LESSON02], ids=["01", "02"])
def test_no_emoji_pass_mark(path):
    assert not [c.id for c in cells(path) if "✅" in c.source], "the checks print PASS, not ✅"


@pytest.mark.parametrize("path", [LESSON01, LESSON02], ids=["01", "02"])
def test_check_cells_end_with_a_semicolon(path):
    """A cell ending in check(...) or a comparison would show Out[]: True/False under the verdict."""
    quiet = []
    for c in cells(path):
        if c.cell_type != "code":
            continue
        source = "\n".join(ln for ln in c.source.splitlines() if not ln.startswith("%"))
        last = ast.parse(source).body[-1]
        value = getattr(last, "value", None) if isinstance(last, ast.Expr) else None
        name = getattr(getattr(value, "func", None), "attr", None) or getattr(getattr(value, "func", None), "id", None)
        boolish = isinstance(value, (ast.Compare, ast.BoolOp)) or name in {"check", "allclose", "array_equal",
                                                                           "isclose", "all", "any"}
        if boolish and not c.source.rstrip().endswith(";"):
            quiet.append(c.id)
    assert not quiet, f"{path.name}: end these cells with ';' (or print): {quiet}"


# -- lesson 01: DQN clipped rewards; the sign is what later libraries take --------------------


def test_lesson01_says_dqn_clipped_and_libraries_take_the_sign():
    # "That is what DQN did: Mnih et al. (2015) clipped every positive reward at 1 and every negative
    # reward at −1, leaving 0 unchanged. Some later libraries (OpenAI Baselines, and Stable-Baselines3's
    # `ClipRewardEnv` for Atari) take each reward's sign instead, `np.sign(r)`. On whole-number rewards
    # ... the two agree; ... clipped, 0.5 stays 0.5, while its sign is 1."
    words = text(LESSON01)
    assert "That is what DQN did: Mnih et al. (2015) clipped every positive reward at 1" in words
    assert "`ClipRewardEnv`" in words and "np.sign(r)" in words
    for wrong in ("clips every reward to [−1, 1]", "each reward becomes its sign", "It is not quite what DQN did",
                  "reduces every reward to its sign"):
        assert wrong not in words, f"lesson 01 still says {wrong!r}: DQN clipped, it did not take the sign"
    out = run(code(LESSON01, "np.sign(rewards)"), {"np": np}).splitlines()
    rows = {ln.split(":")[0].strip(): np.array(ln.split(":")[1].strip(" []").split(), float) for ln in out}
    rewards, clipped, sign = rows["reward"], rows["clip (DQN)"], rows["sign (SB3 Atari)"]
    whole = rewards == np.round(rewards)
    assert np.array_equal(clipped[whole], sign[whole]) and not whole.all()
    assert clipped[rewards == 0.5] == 0.5 and sign[rewards == 0.5] == 1
    # The exercise's check expects clipping (reward 0.5 kept), not the sign (0.5 -> 1).
    q, r, m, t = np.zeros(3), np.array([5.0, -3.0, 0.5]), np.full(3, 2.0), np.array([False, True, False])
    assert answers.l01_clipped(reference.q_update(q, np.clip(r, -1, 1), m, t, 0.5, 0.9))
    assert not answers.l01_clipped(reference.q_update(q, np.sign(r), m, t, 0.5, 0.9))
    assert "answers.l01_clipped(got)" in code(LESSON01, "check(3,")


# -- lesson 02: its step 4, measured several times ----------------------------------------


def lesson02_namespace(fast: bool) -> dict:
    """The lesson's Setup cell run here, with FAST set as asked."""
    ns: dict = {}
    run(code(LESSON02, "FAST = fast_mode()"), ns)
    ns["FAST"] = fast
    return ns


def measure(fast: bool) -> dict:
    """Step 4 as the lesson runs it: the scalar-call cell, then the table; and how long they took."""
    ns = lesson02_namespace(fast)
    start = time.perf_counter()
    printed = run(code(LESSON02, "boundary.scalar_call_costs("), ns)
    run(code(LESSON02, "boundary.measure_costs("), ns)
    return {"fast": fast, "calls": ns["calls"], "printed": printed, "rows": ns["rows"],
            "seconds": time.perf_counter() - start}


@pytest.fixture(scope="module")
def runs(lib):
    """Step 4 measured FAST_RUNS times in fast mode and once at full length (the learner's default)."""
    return [measure(fast=True) for _ in range(FAST_RUNS)] + [measure(fast=False)]


def describe(r) -> str:
    return f"{'fast' if r['fast'] else 'full'} run, summary {lesson_checks.cost_summary(r['rows'])}"


def test_lesson02_timings_take_less_than_a_minute(runs):
    # "The timings take less than a minute." Measured at full length: 12-17 s under load.
    assert "The timings take less than a minute." in text(LESSON02)
    full = [r for r in runs if not r["fast"]]
    assert all(r["seconds"] < 60 for r in full), [round(r["seconds"], 1) for r in full]


def test_lesson02_scalar_call_costs(runs):
    # "a bare ctypes call into Go costs many times as much as a plain Python function call,
    # and the kit's checked wrappers cost more again". Measured at full length (number=20,000):
    # bare / Python x7.9-x22.9; checked / bare x2.2-x2.9 (update_q_value), x3.8-x5.5
    # (q_update_scalar). In fast mode (2,000 calls a round) a checked call once timed below
    # the bare one, so this is asserted on the lesson's full-length cell, three times.
    words = text(LESSON02)
    assert "costs many times as much as a plain Python function call" in words
    assert "checked wrappers cost more again" in words
    full = [r for r in runs if not r["fast"]] + [measure_scalar_calls() for _ in range(2)]
    for r in full:
        python, bare, checked, checked_scalar = r["calls"].values()
        assert bare > 3 * python, r["calls"]
        assert checked > 1.2 * bare and checked_scalar > 1.2 * bare, r["calls"]
        lines = r["printed"].splitlines()
        assert len(lines) == 4 and all(ln.endswith("a Python call") for ln in lines), lines


def measure_scalar_calls() -> dict:
    """The lesson's scalar-call cell alone, at full length."""
    ns = lesson02_namespace(fast=False)
    printed = run(code(LESSON02, "boundary.scalar_call_costs("), ns)
    return {"calls": ns["calls"], "printed": printed}


def test_lesson02_cost_summary_backs_every_comparison(runs):
    # Each sentence of "How to read it", with what 22 runs measured (worst run first):
    words = text(LESSON02)
    for sentence in ("stays level: most sizes sit within a factor of 3 of its median",
                     "slower than the plain Python loop at every size",
                     "far faster than Python's (compare go batch with the loop at the largest `n` both ran)",
                     "by a factor of thousands from the smallest batch to the largest",
                     "less than the Go batch, so it wins at small `n`",
                     "the two are within a small factor of each other",
                     "never as one small call per item: that lost even to the plain Python loop"):
        assert sentence in words, f"lesson 02 no longer says {sentence!r}: update this test with it"
    for r in runs:
        s = lesson_checks.cost_summary(r["rows"])
        level, sizes = s["per_call_level"]
        assert level / sizes > 0.5, describe(r)                 # measured >= 5 of 7 sizes
        assert s["per_call_over_loop"][0] > 1.5, describe(r)    # per-call / loop >= x3.0 at every size
        assert s["loop_over_batch"][1] > 3, describe(r)         # x5.8 (fast, n = 1,000); x219 (full, 100,000)
        _, ns_small, _, ns_big = s["batch_ns"]
        assert ns_small / ns_big > 1000, describe(r)            # x2,900 or more
        assert s["numpy_faster_small_n"] > 1.2, describe(r)     # NumPy at least x1.9 as fast for n <= 100
        assert 0.2 < s["numpy_over_batch"][1] < 10, describe(r)  # 0.93 to 5.09 at n = 1,000,000
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            lesson_checks.print_cost_summary(s)
        assert len(out.getvalue().splitlines()) == 6


def test_lesson02_exercise3_solution_claim(runs):
    # Solution 3: the ratio "stays a small factor: nothing like the gap between one batch call
    # and one call per item". Measured: NumPy / Go batch at a million <= x5.1; per-call / batch
    # at the largest size both ran >= x150 (fast, n = 1,000) and >= x2,000 (full, n = 100,000).
    assert "nothing like the gap between one batch call and one call per item" in text(LESSON02)
    for r in runs:
        gap = boundary.speedup(r["rows"], "go per-call", "go batch")
        assert gap[max(gap)] > 10 * lesson_checks.numpy_vs_go_batch(r["rows"]), describe(r)


def exercise_verdict(number: int, answer_name: str, answer, rows) -> str:
    """What the lesson's own check cell for exercise `number` prints for this answer and table."""
    ns = lesson02_namespace(fast=True) | {"rows": rows, answer_name: answer}
    return run(code(LESSON02, f"check({number},"), ns).strip()


def solution_answer(number: int, answer_name: str, rows):
    """The lesson's solution cell for exercise `number`, run on this table: its answer and verdict."""
    ns = lesson02_namespace(fast=True) | {"rows": rows}
    printed = run(code(LESSON02, f"check({number},", solution=True), ns)
    return ns[answer_name], printed.splitlines()[-1]


@pytest.mark.parametrize("number, answer_name", [(3, "my_ratio"), (4, "my_break_even")])
def test_lesson02_timing_exercises_do_not_flip_on_a_rerun(runs, number, answer_name):
    # The answer a learner reads off one run must pass after Restart & Run All (another run).
    # Measured over 22 runs: exercise 3's ratio 0.93-5.09 (a spread of x5.5; NumPy won twice),
    # exercise 4's size 100 or 300 (per-call / batch at 30: at most x8.9; at 300: at least
    # x13.3). The checks accept a factor of 10 either way.
    tables = [r["rows"] for r in runs]
    answers = []
    for rows in tables:
        answer, verdict = solution_answer(number, answer_name, rows)
        assert verdict.startswith(f"Exercise {number}: PASS"), verdict
        answers.append(answer)
    for answer, rows in itertools.product(answers, tables):
        verdict = exercise_verdict(number, answer_name, answer, rows)
        assert verdict.startswith(f"Exercise {number}: PASS"), f"answer {answer} from one run: {verdict}; {answers}"
    # ... while unfinished and far-off answers still get a hint.
    wrong = {3: [None, "go batch", -1.0, 1000.0, 0.001], 4: [None, "100", 1, 1_000_000]}[number]
    for answer, rows in itertools.product(wrong, tables[:2]):
        assert exercise_verdict(number, answer_name, answer, rows).startswith(f"Exercise {number}: not yet")


def test_within_factor_is_a_band_on_a_log_scale():
    assert lesson_checks.within_factor(100, 300, 10) and lesson_checks.within_factor(30, 300, 10)
    assert lesson_checks.within_factor(3000, 300, 10) and not lesson_checks.within_factor(29, 300, 10)
    assert not lesson_checks.within_factor(3001, 300, 10)
    for bad in (None, "3", True, 0, -3.0, float("nan"), float("inf")):
        assert not lesson_checks.within_factor(bad, 3.0, 10), bad
