"""Check cells for the lessons' exercises: a clear verdict, never a traceback.

    check(1, abs(my_value - 1.9) < 1e-9, hint="Q + alpha * (target - Q)")

prints "Exercise 1: ✅ correct" or "Exercise 1: not yet. Hint: ...". The
Solutions section of each lesson calls the same checks, so a lesson that runs
top to bottom proves every check can pass.
"""

from __future__ import annotations

PASS_MARK = "✅"


def check(number: int, passed, *, hint: str = "", success: str = "correct") -> bool:
    """Print whether exercise `number` is solved; return True if it is."""
    try:
        ok = bool(passed() if callable(passed) else passed)
    except Exception as e:  # a half-finished answer should get a hint, not a traceback
        ok, hint = False, f"{hint} (your code raised {type(e).__name__}: {e})".strip()
    if ok:
        print(f"Exercise {number}: {PASS_MARK} {success}")
    else:
        print(f"Exercise {number}: not yet." + (f" Hint: {hint}" if hint else ""))
    return ok


def close(a, b, tol: float = 1e-9) -> bool:
    """True when a and b are numbers (or arrays) equal within tol; False for None."""
    import numpy as np

    if a is None or b is None:
        return False
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=tol, atol=tol))
