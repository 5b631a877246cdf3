"""Build the picture an agent describes: views know runs and descriptions, never agent classes.

An agent's ``figure_spec()`` returns a plain dict, ``{"kind": "training", ...}``
or ``{"kind": "tabular"}``; the rest of the dict is the figure's keyword arguments.
"""

from __future__ import annotations

from helpers.views.tabular_figure import TabularFigure
from helpers.views.training_figure import TrainingFigure

KINDS = {"training": TrainingFigure, "tabular": TabularFigure}


def make_figure(spec: dict):
    """The figure for an agent's figure_spec(): a TrainingFigure or a TabularFigure."""
    spec = dict(spec)
    kind = spec.pop("kind")
    if kind not in KINDS:
        raise ValueError(f"no figure of kind {kind!r}: expected one of {sorted(KINDS)}")
    return KINDS[kind](**spec)
