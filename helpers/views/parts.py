"""What a dashboard is made of: its sliders and buttons, and the settings its live view needs."""

from __future__ import annotations

import math

import ipywidgets as w

from helpers.core.knobs import SPECS

# name -> (widget class, keyword arguments). Ranges come from hyperparams.SPECS; steps of
# 0.01 so that a teacher can move alpha/gamma/epsilon with the arrow keys in visible, exact steps.
SLIDERS = {
    name: (w.FloatSlider, dict(description=label, min=SPECS[name].low, max=SPECS[name].high, step=0.01))
    for name, label in (("alpha", "α  alpha"), ("gamma", "γ  gamma"), ("epsilon", "ε  epsilon"))
}
SLIDERS["learning_rate"] = (w.FloatLogSlider, dict(  # a log scale: 1e-5 .. about 0.3, inside SPECS' (0, 1]
    description="learning rate", base=10, min=-5, max=math.log10(SPECS["learning_rate"].high) - 0.5, step=0.1,
    readout_format=".1e"))
SYMBOLS = {"alpha": "α", "gamma": "γ", "epsilon": "ε", "learning_rate": "learning rate"}
BUTTONS = {  # name -> (label, icon, style)
    "start": ("Start", "play", "success"),
    "pause": ("Pause", "pause", "warning"),
    "stop": ("Stop", "stop", "danger"),
    "reset": ("Reset", "refresh", ""),
}
# Steps a second of a live run, by figure kind: Go plays 10 million tabular steps a second, and a figure
# of 500,000 episodes after 10 s shows no learning and no slider move. 20 steps of 50 episodes a second:
# 1,000 episodes a second, the table fills in over about a minute, a change shows within a second.
LIVE_PACE = {"tabular": 20.0}
# JupyterLab's default windowing skips the layout of off-screen cells (`content-visibility: auto`);
# in Chromium, a figure image created there during Run All kept a 0 x 0 box even once scrolled into
# view (11 of 14 runs of lesson 03). The dashboard's cell is always laid out; other cells are not touched.
ALWAYS_LAID_OUT = "<style>.jp-Cell:has(.qkit-dashboard) { content-visibility: visible !important; }</style>"
