"""The DQN's settings: each default written once (Settings), ε one name end to end, every value checked."""

import dataclasses
import inspect
import math
import re

import numpy as np
import pytest

from helpers.agents.dqn import Settings
from helpers.agents.dqn_agent import DQNAgent
from helpers.agents.trainer import Trainer
from helpers.core.knobs import NAMES, SPECS
from helpers.sweeps.dqn_trial import DQN


def test_the_epsilon_slider_is_settings_epsilon(lib):
    agent = DQNAgent.create(seed=0, lib=lib, epsilon=0.2, epsilon_decay=100)
    assert agent.settings.epsilon == agent.params.epsilon == 0.2 and agent.epsilon_now == 1.0  # the decay's start
    agent.train(1)  # 256 environment steps: past the decay
    assert agent.epsilon_now == agent.history.last()["epsilon"] == 0.2
    agent.set("epsilon", 0.3)
    assert agent.epsilon_now == 0.3 and agent.settings.epsilon == 0.2, "the slider moves the schedule's end"


def test_the_sliders_start_at_the_settings():
    assert list(inspect.signature(DQNAgent.create).parameters) == ["seed", "lib", "settings"], \
        "DQNAgent.create types no default of its own: Settings holds them"
    s = Settings()
    assert {name: DQN[name] for name in NAMES} == {name: getattr(s, name) for name in NAMES}


def test_trainer_create_reads_the_specs_defaults():
    parameters = inspect.signature(Trainer.create).parameters
    assert {name: parameters[name].default for name in NAMES} == {name: SPECS[name].default for name in NAMES}


# -- every setting checked against its allowed values (issue 15 item 8) --------------------------------------------

@pytest.mark.parametrize(("name", "value", "today"), [
    ("huber_delta", math.nan, "trained NaN weights and reported finished"),
    ("target_sync", 0, "ZeroDivisionError"),
    ("eval_every", 0, "ZeroDivisionError"),
    ("gradient_steps", -1, "UnboundLocalError"),
    ("buffer_size", 0, "IndexError"),
    ("batch_size", 0, "NaN loss"),
])
def test_a_bad_setting_is_refused_by_name_with_its_range(lib, name, value, today):
    with pytest.raises(ValueError, match=rf"^{name} must be a (whole|finite) number (>=?|in) .*; got {value}$"):
        DQNAgent.create(seed=0, lib=lib, **{name: value})


def _bad_values(f) -> list:
    """Values just outside a field's allowed ones."""
    allowed = f.metadata["allowed"]
    if allowed is bool:
        return [1, "yes", None]
    bad = [math.nan, math.inf, "1"] + ([allowed.low - 1] if allowed.low > -math.inf else [])
    bad += ([allowed.low] if allowed.open_low else []) + ([allowed.high + 1] if allowed.high < math.inf else [])
    bad += [1.5] if allowed.whole else []
    return [(), [bad[0]], (f.default[0], bad[-1])] if isinstance(f.default, tuple) else bad


@pytest.mark.parametrize("f", dataclasses.fields(Settings), ids=lambda f: f.name)
def test_every_setting_has_allowed_values_and_its_default_is_one(f):
    assert Settings().replace(**{f.name: f.default}) == Settings()
    for value in _bad_values(f):
        with pytest.raises(ValueError, match=rf"^{re.escape(f.name)}(\[\d\])? must be .*; got "):
            Settings(**{f.name: value})
        with pytest.raises(ValueError, match=re.escape(f.name)):
            Settings().replace(**{f.name: value})


def test_settings_are_stored_as_their_kind():
    s = Settings(alpha=1, hidden=[64, 32], batch_size=np.int64(16), replay=np.bool_(False))
    assert (s.alpha, s.hidden, s.batch_size, s.replay) == (1.0, (64, 32), 16, False)
    assert type(s.alpha) is float and type(s.batch_size) is int and type(s.replay) is bool
