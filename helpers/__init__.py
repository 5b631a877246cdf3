"""Helpers for the Go + Python reinforcement-learning kit, in four parts.

- ``bridge``: the Go bridge. Build the Go library, load it, call it through
  ctypes with checked inputs (``golib``); the NumPy yardstick (``reference``);
  what crossing the boundary costs (``boundary``).
- ``learning``: environments, the article's Q-network and loop, the agents.
- ``steering``: hyperparameters, the training lifecycle, run history and the
  run store, figures, dashboards.
- ``tooling``: bench, doctor, the headless demo, notebook tools, exercise checks.

Lessons import short, stable names from the top::

    from helpers import golib, reference, Trainer, Dashboard

Each name is imported when first used, so ``import helpers`` stays cheap
(TensorFlow loads only when a lesson asks for the Q-network).
"""

from __future__ import annotations

import importlib
import os

__version__ = "0.2.0"

# short name -> "module" or "module:attribute"
SHORT_NAMES = {
    "golib": "helpers.bridge.golib",
    "toolchain": "helpers.bridge.toolchain",
    "reference": "helpers.bridge.reference",
    "boundary": "helpers.bridge.boundary",
    "qnet": "helpers.learning.qnet",
    "build_q_network": "helpers.learning.qnet:build_q_network",
    "Trainer": "helpers.learning.trainer:Trainer",
    "DQNAgent": "helpers.learning.dqn_agent:DQNAgent",
    "TabularAgent": "helpers.learning.tabular_agent:TabularAgent",
    "run_article_workflow": "helpers.learning.article:run_article_workflow",
    "article_sample": "helpers.learning.article:article_sample",
    "Hyperparams": "helpers.steering.hyperparams:Hyperparams",
    "History": "helpers.steering.history:History",
    "TrainingFigure": "helpers.steering.plots:TrainingFigure",
    "Dashboard": "helpers.steering.dashboard:Dashboard",
    "stretch_table": "helpers.steering.readouts:stretch_table",
    "exercises": "helpers.tooling.exercises",
    "check": "helpers.tooling.exercises:check",
    "close": "helpers.tooling.exercises:close",
    "timing": "helpers.tooling.timing",
    "median_time": "helpers.tooling.timing:median_time",
    "samples_per_second": "helpers.tooling.timing:samples_per_second",
    "doctor": "helpers.tooling.doctor",
    "notebooks": "helpers.tooling.notebooks",
}


def __getattr__(name: str):
    """Import a short name on first use (PEP 562)."""
    if name not in SHORT_NAMES:
        raise AttributeError(f"module 'helpers' has no attribute {name!r}")
    module, _, attr = SHORT_NAMES[name].partition(":")
    value = importlib.import_module(module)
    value = getattr(value, attr) if attr else value
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(SHORT_NAMES))


def fast_mode() -> bool:
    """True when QKIT_FAST=1: every long run in the lessons shrinks (used by the tests)."""
    return os.environ.get("QKIT_FAST", "") not in ("", "0", "false", "False")
