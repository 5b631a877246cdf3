"""The DQN's settings: each default written once (Settings), ε one name end to end."""

import inspect

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
