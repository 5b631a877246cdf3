"""Every agent saves and loads through the Steerable base: round trips, kinds, and checked values."""

import json
from pathlib import Path

import numpy as np
import pytest

from helpers.agents.dqn_agent import DQNAgent
from helpers.agents.tabular_agent import TabularAgent
from helpers.agents.trainer import Trainer
from helpers.runs.history import equal
from helpers.runs.runstore import WrongKindError


def current(folder: Path) -> Path:
    return folder / (folder / "CURRENT").read_text().strip()


def same_history(a, b) -> None:
    """Equal step records (but the wall-clock time column) and changes."""
    sa, sb = a.history.full(), b.history.full()
    sa.pop("time"), sb.pop("time")
    assert equal(sa, sb)


@pytest.fixture
def tabular(lib):
    agent = TabularAgent.create("FrozenLake-v1", is_slippery=True, seed=3, chunk=50, lib=lib)
    agent.train(22)  # 1,100 episodes: two greedy-success points
    agent.set("alpha", 0.2)
    agent.train(3)
    return agent


@pytest.fixture
def dqn(lib):
    agent = DQNAgent.create(seed=0, lib=lib, learning_starts=256, gradient_steps=8, eval_every=512)
    agent.train(2)
    agent.set("gamma", 0.9)
    agent.train(1)
    return agent


def test_tabular_agent_round_trip_goes_on_as_if_never_stopped(tabular, lib, tmp_path):
    path = tabular.save(tmp_path / "lake")
    assert sorted(p.name for p in current(path).iterdir()) == ["config.json", "history.sqlite", "state.npz"]
    u = TabularAgent.load(path, lib=lib)
    np.testing.assert_array_equal(u.q, tabular.q)
    assert (u.step_count, u.episode, u._env_steps, u.params.as_dict()) == \
           (tabular.step_count, tabular.episode, tabular._env_steps, tabular.params.as_dict())
    assert u._success == tabular._success and len(u._success) == 2
    assert u.history.changes == [(22, "alpha", 0.5, 0.2)]
    same_history(u, tabular)
    tabular.train(10)
    u.train(10)  # the generator's state was saved: the same episodes, the same table
    np.testing.assert_array_equal(u.q, tabular.q)
    same_history(u, tabular)


def test_dqn_agent_round_trip(dqn, lib, tmp_path):
    path = dqn.save(tmp_path / "dqn")
    u = DQNAgent.load(path, lib=lib)
    for a, b in zip(dqn.dqn.model.get_weights(), u.dqn.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(dqn.dqn.model.optimizer.variables, u.dqn.model.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(u.dqn.model.optimizer.iterations.numpy()) == 8 * 2  # two training phases of 8 steps
    assert (u.step_count, u.episode, u.dqn.global_step, u.evals, u.settings, u.params.as_dict()) == \
           (dqn.step_count, dqn.episode, dqn.dqn.global_step, dqn.evals, dqn.settings, dqn.params.as_dict())
    assert u.history.changes == [(2, "gamma", 0.99, 0.9)]
    same_history(u, dqn)
    u.train(1)  # it trains on from the saved network, numbering steps after the saved ones
    assert u.history.last()["step"] == 3 and u.dqn.global_step == 4 * 256
    DQNAgent.load(u.save(path), lib=lib)


def test_a_run_of_another_kind_says_what_it_is_and_how_to_load_it(dqn, tabular, lib, tmp_path):
    dqn_run, lake = dqn.save(tmp_path / "dqn"), tabular.save(tmp_path / "lake")
    with pytest.raises(WrongKindError, match=r"dqn holds a DQNAgent run, not a Trainer run: load it with "
                                             r"DQNAgent.load\('.*dqn'\)"):
        Trainer.load(dqn_run, lib=lib)
    with pytest.raises(WrongKindError, match="lake holds a TabularAgent run, not a DQNAgent run: load it with "
                                             "TabularAgent.load"):
        DQNAgent.load(lake, lib=lib)
    saved = json.loads((current(dqn_run) / "config.json").read_text())  # a DQN run saved by the kit before kinds
    del saved["kind"]
    saved["format"] = 1
    (current(dqn_run) / "config.json").write_text(json.dumps(saved))
    with pytest.raises(WrongKindError, match="holds a DQNAgent run, not a Trainer run"):
        Trainer.load(dqn_run, lib=lib)
    with pytest.raises(ValueError, match="not saving a TabularAgent into .*: it holds a DQNAgent run"):
        tabular.save(dqn_run)


def test_save_needs_a_folder_name(tabular, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="needs a folder name"):
        tabular.save("")
    assert list(tmp_path.iterdir()) == []
