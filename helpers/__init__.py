"""Helpers for the Go + Python reinforcement-learning kit.

The lessons in ``notebooks/`` import this package; the logic lives here so the
notebooks can stay short. Modules:

- ``golib``: build the Go library and call it through ctypes.
- ``reference``: the same Q-learning updates in NumPy, for comparison.
- ``toolchain``: find ``go`` and a C compiler, with advice when missing.
- ``doctor``: check that everything a learner needs is installed.
"""

import os

__version__ = "0.1.0"


def fast_mode() -> bool:
    """True when QKIT_FAST=1: every long run in the lessons shrinks (used by the tests)."""
    return os.environ.get("QKIT_FAST", "") not in ("", "0", "false", "False")
