"""Check cells for the lessons' exercises: a clear verdict, never a traceback.

    check(1, abs(my_value - 1.9) < 1e-9, hint="Q + alpha * (target - Q)")

prints "Exercise 1: PASS - correct" or "Exercise 1: not yet - Q + alpha * ...".
The Solutions section of each lesson calls the same checks, so a lesson that
runs top to bottom proves every check can pass.

Student copies (`make student`) are the lessons without their Solutions cells.
Nothing switches modes there: the check cells sit in the Exercises section,
before the solutions, so they already run on the learner's placeholders (None,
"change me" values) and must answer "not yet", never raise. `check` catches
what a callable raises and `close` answers False for anything that is not a
number or an array of numbers, so a half-finished answer always gets its hint.
"""

from __future__ import annotations

import numpy as np

# ASCII on purpose: "✅" is an emoji and shows as an empty box where no emoji font
# is installed (many Linux desktops, minimal containers). Every font has "PASS".
PASS_MARK = "PASS"
NOT_YET = "not yet"


def check(number: int, passed, *, hint: str = "", success: str = "correct") -> bool:
    """Print whether exercise `number` is solved; return True if it is."""
    try:
        ok = bool(passed() if callable(passed) else passed)
    except Exception as e:  # a half-finished answer should get a hint, not a traceback
        ok, hint = False, f"{hint} (your code raised {type(e).__name__}: {e})".strip()
    if ok:
        print(f"Exercise {number}: {PASS_MARK} - {success}")
    else:
        print(f"Exercise {number}: {NOT_YET}" + (f" - {hint}" if hint else ""))
    return ok


def close(a, b, tol: float = 1e-9) -> bool:
    """True when a and b are numbers (or arrays) equal within tol; False for None or non-numbers."""
    if a is None or b is None:
        return False
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):  # text, ragged lists, dicts: not an answer yet
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=tol, atol=tol))
