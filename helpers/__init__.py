"""Helpers for the Go + Python reinforcement-learning kit, in layers: each imports only those below it.

    tooling/   bench, doctor, headless demo, notebook tools, student copies      (anything below)
    lessons/   each lesson's experiments and exercise checks  | sweeps/  grids of trials, Ray
    agents/    envs, Q-network, DQN, trainer, tabular agent    (bridge, runs, core)
    views/     figures and dashboards: they know runs and figure descriptions, never agent classes
    bridge/    build and call the Go library                   | runs/  lifecycle, history, run store
    core/      knobs (every range and default), durable writes, timing: imports nothing of the kit

Arrows: core <- {bridge, runs} <- agents <- {sweeps, lessons} <- tooling; views <- {runs, core};
lessons and tooling may also use views. tests/test_layers.py enforces it.

Lessons import short, stable names from the top::

    from helpers import golib, reference, Trainer, Dashboard

Each name is imported when first used, so ``import helpers`` stays cheap
(TensorFlow loads only when a lesson asks for the Q-network).
"""

from __future__ import annotations

import importlib
import os

__version__ = "0.2.0"  # the one version string: pyproject.toml reads it (dynamic version)

# short name -> "module" or "module:attribute"
SHORT_NAMES = {  # exactly what the lessons and the README use (tests/test_layers.py resolves each)
    "golib": "helpers.bridge.golib",
    "reference": "helpers.bridge.reference",
    "boundary": "helpers.lessons.boundary",
    "Trainer": "helpers.agents.trainer:Trainer",
    "run_article_workflow": "helpers.agents.article:run_article_workflow",
    "article_sample": "helpers.agents.article:article_sample",
    "TrainingFigure": "helpers.views.training_figure:TrainingFigure",
    "Dashboard": "helpers.views.dashboard:Dashboard",
    "check": "helpers.lessons.exercises:check",
    "close": "helpers.lessons.exercises:close",
    "median_time": "helpers.core.timing:median_time",
    "samples_per_second": "helpers.core.timing:samples_per_second",
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
