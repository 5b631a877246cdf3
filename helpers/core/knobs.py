"""Every knob of the kit, written once: name, meaning, range, default.

Validation, the command line, the sliders and the docstrings all read SPECS
(knobs that move while training runs) and SIZES (whole numbers fixed when a
run is built), so a range is never typed twice. A Range is one setting's
allowed values; check_fields checks a dataclass whose fields carry theirs
(the DQN's Settings: its knob fields use SPECS' ranges, its sizes SIZES').

    >>> p = Hyperparams(alpha=0.5, gamma=0.9)
    >>> p.observe(lambda change: print(change["name"], change["old"], "->", change["new"]))
    >>> p.alpha = 0.2
    alpha 0.5 -> 0.2
    >>> p.gamma = 1.5
    Traceback (most recent call last):
    HyperparamError: gamma is the discount factor (how much future reward counts) and must be in [0, 1]; got 1.5

Setting a trait is one assignment under the GIL, so a slider callback in the
kernel's main thread and the training thread can share one instance.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from traitlets import Float, HasTraits, TraitError


@dataclass(frozen=True)
class Range:
    """Where a setting's value may lie: a finite number from low to high (low excluded if open_low), or a whole one."""

    low: float = -math.inf
    high: float = math.inf
    open_low: bool = False
    whole: bool = False

    def rule(self) -> str:
        """'in [0, 1]', '> 0', '>= 1 and <= 65,536', ..."""
        if self.whole:
            return f">= {self.low:,}" + (f" and <= {self.high:,}" if self.high < math.inf else "")
        if self.high == math.inf:
            return "" if self.low == -math.inf else f"{'>' if self.open_low else '>='} {self.low:g}"
        return f"in {'(' if self.open_low else '['}{self.low:g}, {self.high:g}]"

    def contains(self, v) -> bool:
        """True if v is a number of the right kind inside the range (False for NaN, infinities, bools)."""
        kinds = (int, np.integer) if self.whole else (int, float, np.integer, np.floating)
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, kinds) or not (self.whole or math.isfinite(v)):
            return False
        return (self.low < v if self.open_low else self.low <= v) and v <= self.high

    def check(self, name: str, v, meaning: str):
        """v (as an int or a float) if contained, or a ValueError naming the setting, its rule and the value."""
        if not self.contains(v):
            kind = "a whole number" if self.whole else "a finite number"
            raise ValueError(f"{name} must be {kind} {self.rule()} ({meaning}); got {v!r}".replace("  ", " "))
        return int(v) if self.whole else float(v)


@dataclass(frozen=True)
class Spec:
    """One real-valued knob: its meaning and its range [low, high] (low excluded if open_low)."""

    meaning: str
    default: float
    low: float = 0.0
    high: float = 1.0
    open_low: bool = False

    @property
    def range(self) -> Range:
        return Range(self.low, self.high, self.open_low)

    def rule(self) -> str:
        return self.range.rule()

    def contains(self, v: float) -> bool:
        """v inside the range; v is a float (check() makes sure). Fast: each Go call checks its knobs."""
        return (self.low < v if self.open_low else self.low <= v) and v <= self.high  # False for NaN


SPECS = {
    "alpha": Spec("the Q-learning step size (how far Q moves toward its target)", 0.5),
    "gamma": Spec("the discount factor (how much future reward counts)", 0.9),
    "epsilon": Spec("the exploration rate (chance of a random action)", 0.1),
    "learning_rate": Spec("the network optimizer's (Adam's) learning rate", 1e-3, open_low=True),
}
NAMES = tuple(SPECS)
MEANING = {name: spec.meaning for name, spec in SPECS.items()}

# Whole-number settings: name -> (meaning, low, high). The highs keep a typo
# (batch_size=10**9) from eating all memory until the kernel dies without a word.
SIZES = {
    "batch_size": ("transitions per training step", 1, 65_536),
    "hidden": ("units in the Q-network's hidden layer", 1, 4_096),
    "steps": ("training steps", 1, 10**9),
    "seed": ("the random seed", 0, 2**32 - 1),
    "num_samples": ("samples of the article's loop", 1, 10**7),
    "num_episodes": ("episodes", 1, 10**8),
}


class HyperparamError(TraitError, ValueError):
    """A knob was given a value outside its range (also a ValueError)."""


def check(name: str, v) -> float:
    """v as a float inside SPECS[name]'s range, or a HyperparamError that names the knob."""
    spec = SPECS.get(name)
    if spec is None:
        raise HyperparamError(f"unknown hyperparameter {name!r}; choose one of {', '.join(NAMES)}")
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise HyperparamError(f"{name} is {spec.meaning} and must be a number {spec.rule()}; got {v!r}")
    if not spec.contains(float(v)):  # False for NaN too
        raise HyperparamError(f"{name} is {spec.meaning} and must be {spec.rule()}; got {v}")
    return float(v)


def size_range(name: str) -> Range:
    """SIZES[name]'s bounds as a Range of whole numbers."""
    _, low, high = SIZES[name]
    return Range(low, high, whole=True)


def check_size(name: str, v) -> int:
    """v as an int inside SIZES[name]'s bounds, or a ValueError that names the setting."""
    return size_range(name).check(name, v, SIZES[name][0])


def check_fields(settings) -> None:
    """Check each field of a dataclass against its metadata["allowed"] (a Range, or bool); store the clean value.

    A tuple-valued field (e.g. layer widths) must be a non-empty sequence whose items each fit the Range."""
    for f in dataclasses.fields(settings):
        allowed, v, meaning = f.metadata["allowed"], getattr(settings, f.name), f.metadata.get("help", f.name)
        if allowed is bool:
            if not isinstance(v, (bool, np.bool_)):
                raise ValueError(f"{f.name} must be True or False ({meaning}); got {v!r}")
            v = bool(v)
        elif isinstance(f.default, tuple):
            if not isinstance(v, (tuple, list)) or not v:
                kind = "whole" if allowed.whole else "finite"
                raise ValueError(f"{f.name} must be a non-empty tuple of {kind} numbers {allowed.rule()} ({meaning}); "
                                 f"got {v!r}")
            v = tuple(allowed.check(f"{f.name}[{i}]", item, meaning) for i, item in enumerate(v))
        else:
            v = allowed.check(f.name, v, meaning)
        object.__setattr__(settings, f.name, v)  # works on frozen dataclasses too


class _Knob(Float):
    """A Float trait checked against SPECS[its name]."""

    def validate(self, obj, value):
        return super().validate(obj, check(self.name, value))


class Hyperparams(HasTraits):
    """alpha, gamma, epsilon and learning_rate, validated on every change."""

    alpha = _Knob(SPECS["alpha"].default, help=SPECS["alpha"].meaning)
    gamma = _Knob(SPECS["gamma"].default, help=SPECS["gamma"].meaning)
    epsilon = _Knob(SPECS["epsilon"].default, help=SPECS["epsilon"].meaning)
    learning_rate = _Knob(SPECS["learning_rate"].default, help=SPECS["learning_rate"].meaning)

    def __init__(self, alpha: float = SPECS["alpha"].default, gamma: float = SPECS["gamma"].default,
                 epsilon: float = SPECS["epsilon"].default, learning_rate: float = SPECS["learning_rate"].default):
        super().__init__(alpha=alpha, gamma=gamma, epsilon=epsilon, learning_rate=learning_rate)

    def set(self, name: str, value: float) -> None:
        """Set one hyperparameter by name (an unknown name is a clear error)."""
        setattr(self, name, check(name, value))

    def as_dict(self) -> dict[str, float]:
        """The current values, e.g. {'alpha': 0.5, 'gamma': 0.9, ...}."""
        return {name: getattr(self, name) for name in NAMES}

    def __repr__(self) -> str:
        return "Hyperparams(" + ", ".join(f"{k}={v:g}" for k, v in self.as_dict().items()) + ")"
