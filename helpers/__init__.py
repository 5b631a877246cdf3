"""Helpers for the Go + Python reinforcement-learning kit.

The lessons in ``notebooks/`` import this package; the logic lives here so the
notebooks can stay short. Modules:

- ``golib``: build the Go library and call it through ctypes.
- ``reference``: the same Q-learning updates in NumPy, for comparison.
- ``toolchain``: find ``go`` and a C compiler, with advice when missing.
- ``doctor``: check that everything a learner needs is installed.
- ``boundary``: time what crossing into Go costs (lesson 2).
- ``qnet``, ``hyperparams``, ``history``, ``trainer``: the Keras Q-network and
  a trainer whose alpha and gamma can change while it runs (lessons 3-4).
- ``plots``: the two-panel figure, Q-values left and loss right.
- ``dashboard``: sliders, buttons and the live figure (lesson 4).
- ``demo``: headless training from the command line (`make demo`).
- ``bench``, ``bench_training``, ``bench_dashboard``: `make bench`.
- ``exercises``, ``notebooks``: exercise checks; running and stripping lessons.
"""

import os

__version__ = "0.1.0"


def fast_mode() -> bool:
    """True when QKIT_FAST=1: every long run in the lessons shrinks (used by the tests)."""
    return os.environ.get("QKIT_FAST", "") not in ("", "0", "false", "False")
