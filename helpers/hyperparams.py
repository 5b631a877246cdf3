"""The knobs of training, as observable traitlets that any thread may turn.

    >>> p = Hyperparams(alpha=0.5, gamma=0.9)
    >>> p.observe(lambda change: print(change["name"], change["old"], "->", change["new"]))
    >>> p.alpha = 0.2
    alpha 0.5 -> 0.2
    >>> p.gamma = 1.5
    Traceback (most recent call last):
    HyperparamError: gamma is the discount factor and must be in [0, 1]; got 1.5

Setting a trait is one assignment under the GIL, so a slider callback in the
kernel's main thread and the training thread can share one instance; the
trainer reads the values at the start of every step.
"""

from __future__ import annotations

import math

import numpy as np

from traitlets import Float, HasTraits, TraitError, validate

MEANING = {
    "alpha": "the Q-learning step size (how far Q moves toward its target)",
    "gamma": "the discount factor (how much future reward counts)",
    "epsilon": "the exploration rate (chance of a random action)",
    "learning_rate": "the network optimizer's (Adam's) learning rate",
}
NAMES = tuple(MEANING)


class HyperparamError(TraitError, ValueError):
    """A hyperparameter was given a value outside its range (also a ValueError)."""


def _number(name: str, v) -> float:
    """v as a float, refusing booleans, strings and NaN with a message that names the knob."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)) or math.isnan(v):
        raise HyperparamError(f"{name} is {MEANING[name]} and must be a number; got {v!r}")
    return float(v)


class _Knob(Float):
    """A Float trait that refuses booleans and text with a HyperparamError naming the knob."""

    def validate(self, obj, value):
        return super().validate(obj, _number(self.name, value))


class Hyperparams(HasTraits):
    """alpha, gamma, epsilon in [0, 1] and learning_rate in (0, 1], validated on every change."""

    alpha = _Knob(0.5, help=MEANING["alpha"])
    gamma = _Knob(0.9, help=MEANING["gamma"])
    epsilon = _Knob(0.1, help=MEANING["epsilon"])
    learning_rate = _Knob(1e-3, help=MEANING["learning_rate"])

    def __init__(self, alpha: float = 0.5, gamma: float = 0.9, epsilon: float = 0.1,
                 learning_rate: float = 1e-3):
        super().__init__(alpha=alpha, gamma=gamma, epsilon=epsilon, learning_rate=learning_rate)

    @validate("alpha", "gamma", "epsilon")
    def _in_unit_interval(self, proposal):
        name, v = proposal["trait"].name, proposal["value"]
        if not 0.0 <= v <= 1.0:
            raise HyperparamError(f"{name} is {MEANING[name]} and must be in [0, 1]; got {v}")
        return v

    @validate("learning_rate")
    def _positive(self, proposal):
        v = proposal["value"]
        if not 0.0 < v <= 1.0:
            raise HyperparamError(f"learning_rate is {MEANING['learning_rate']} and must be in (0, 1]; got {v}")
        return v

    def set(self, name: str, value: float) -> None:
        """Set one hyperparameter by name (an unknown name is a clear error)."""
        if name not in NAMES:
            raise HyperparamError(f"unknown hyperparameter {name!r}; choose one of {', '.join(NAMES)}")
        setattr(self, name, value)

    def as_dict(self) -> dict[str, float]:
        """The current values, e.g. {'alpha': 0.5, 'gamma': 0.9, ...}."""
        return {name: getattr(self, name) for name in NAMES}

    def __repr__(self) -> str:
        return "Hyperparams(" + ", ".join(f"{k}={v:g}" for k, v in self.as_dict().items()) + ")"
