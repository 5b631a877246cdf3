"""The step contract: an agent's _one_step(params) returns its record; Steerable records and counts it.

A plain-Python agent (no TensorFlow, no Go) so that only the base class is under test."""

import math

import numpy as np
import pytest

from helpers.runs.history import History
from helpers.runs.lifecycle import Status
from helpers.runs.steerable import Steerable


class Walker(Steerable):
    """Two episodes a step; its loss is the step number; steps may turn a knob or fail on request."""

    knobs = ("alpha", "gamma", "epsilon")  # learning_rate is not this agent's knob

    def __init__(self, turn_at: int | None = None, fail_at: int | None = None):
        self.history = History(n_actions=1)
        self.turn_at, self.fail_at, self.seen = turn_at, fail_at, []
        super().__init__()

    def _one_step(self, params: dict) -> dict:
        self.seen.append(params)
        if self.step_count == self.fail_at:
            raise ZeroDivisionError("a failed step")
        if self.step_count == self.turn_at:  # as a slider would, while the step runs
            self.set("alpha", 0.2)
        return dict(episode=self.episode + 2, loss=float(self.step_count), q_mean=[1.0], samples=7)

    def _rebuild(self) -> None:
        self.seen = []


def test_the_base_records_each_step_and_counts_steps_and_episodes():
    w = Walker().train(5)
    s = w.history.snapshot()
    assert w.step_count == len(w.history) == 5 and w.episode == 10
    assert list(s["step"]) == [0, 1, 2, 3, 4] and list(s["episode"]) == [2, 4, 6, 8, 10]
    assert list(s["loss"]) == [0, 1, 2, 3, 4] and set(s["samples"]) == {7}
    assert set(s["alpha"]) == {0.5} and set(s["gamma"]) == {0.9} and set(s["epsilon"]) == {0.1}
    assert np.isnan(s["learning_rate"]).all(), "a value that is not the agent's knob is recorded as NaN"
    assert w.seen[0] == w.params.as_dict(), "the step is handed the knobs in force"


def test_a_change_during_a_step_takes_effect_and_is_recorded_at_the_next_step():
    w = Walker(turn_at=2).train(4)
    s = w.history.snapshot()
    assert [p["alpha"] for p in w.seen] == [0.5, 0.5, 0.5, 0.2]
    assert list(s["alpha"]) == [0.5, 0.5, 0.5, 0.2]
    assert w.history.changes == [(3, "alpha", 0.5, 0.2)]
    w.set("gamma", 0.5)  # between steps: the next step is step 4
    assert w.history.changes[-1] == (4, "gamma", 0.9, 0.5)


def test_a_record_field_overrides_the_knob_value():
    class Scheduled(Walker):
        def _one_step(self, params):
            return {**super()._one_step(params), "epsilon": 0.01}  # e.g. the DQN's ε now, from its schedule

    s = Scheduled().train(2).history.snapshot()
    assert set(s["epsilon"]) == {0.01}


def test_a_failed_step_is_neither_recorded_nor_counted():
    w = Walker(fail_at=3)
    with pytest.raises(ZeroDivisionError):
        w.train(10)
    assert w.status is Status.ERROR
    assert w.step_count == len(w.history) == 3 and w.episode == 6
    w.set("alpha", 0.3)  # the failed step is over: a change now names step 3, the next one
    assert w.history.changes == [(3, "alpha", 0.5, 0.3)]
    w.reset()
    assert w.step_count == w.episode == len(w.history) == 0 and not math.isnan(w.params.alpha)
