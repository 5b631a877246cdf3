"""Every agent saves and loads through the Steerable base: round trips, kinds, and checked values."""

import json
from pathlib import Path

import numpy as np
import pytest

from helpers.agents.dqn_agent import DQNAgent
from helpers.agents.tabular_agent import TabularAgent
from helpers.agents.trainer import Trainer
from helpers.runs.history import equal
from helpers.runs.runstore import DamagedRunError, WrongKindError


def current(folder: Path) -> Path:
    return folder / (folder / "CURRENT").read_text().strip()


def same_history(a, b, loss_may_wait: bool = False) -> None:
    """Equal step records (but the wall-clock time column) and changes.

    loss_may_wait: a table's loss (its distance to Q*) is NaN until Q* is solved in the background
    (TabularAgent.q_star), which a loaded agent starts anew: compare it where both have it."""
    sa, sb = a.history.full(), b.history.full()
    sa.pop("time"), sb.pop("time")
    if loss_may_wait:
        la, lb = sa.pop("loss"), sb.pop("loss")
        both = np.isfinite(la) & np.isfinite(lb)
        assert both.sum() >= len(la) // 2 and np.array_equal(la[both], lb[both])
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
    same_history(u, tabular, loss_may_wait=True)


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


# -- every saved value is checked as a new one would be ----------------------------------------


def _edit(section: str, **changes):
    def edit(save: Path):
        saved = json.loads((save / "config.json").read_text())
        (saved[section] if section else saved).update(changes)
        (save / "config.json").write_text(json.dumps(saved))
    return edit


BAD_VALUES = {
    "huge batch": (_edit("config", batch_size=10**9), "batch_size must be a whole number >= 1 and <= 65,536"),
    "empty batch": (_edit("config", batch_size=0), "batch_size must be a whole number >= 1"),
    "alpha 5": (_edit("config", alpha=5), "alpha is .* must be in \\[0, 1\\]; got 5"),
    "newer format": (_edit("", format=99), "written by a newer kit \\(run format 99; this kit reads up to 2\\)"),
    "float step count": (_edit("config", step_count=50.0), "step_count must be a whole number >= 0; got 50.0"),
    "negative episode": (_edit("config", episode=-3), "episode must be a whole number >= 0; got -3"),
    "hidden as text": (_edit("config", hidden="32"), "hidden must be a whole number"),
}


@pytest.fixture(scope="module")
def trainer_run(lib, tmp_path_factory):
    t = Trainer.create(env="CartPole-v1", batch_size=8, seed=0, lib=lib)
    t.train(5)
    return t.save(tmp_path_factory.mktemp("trainer") / "run")


@pytest.mark.parametrize("case", BAD_VALUES)
def test_a_saved_value_out_of_range_is_refused_naming_the_file(trainer_run, lib, tmp_path, case):
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(trainer_run, folder)
    damage, message = BAD_VALUES[case]
    damage(current(folder))
    with pytest.raises(DamagedRunError, match=message) as caught:
        Trainer.load(folder, lib=lib)
    assert str(current(folder) / "config.json") in str(caught.value)


def test_a_model_for_another_environment_is_refused(trainer_run, lib, tmp_path):
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(trainer_run, folder)
    _edit("config", env="Acrobot-v1")(current(folder))  # 6 observations, 3 actions
    with pytest.raises(DamagedRunError, match="model.keras: the model's input size is 4, but 6 here"):
        Trainer.load(folder, lib=lib)


def test_a_tabular_table_for_another_world_is_refused(tabular, lib, tmp_path):
    path = tabular.save(tmp_path / "lake")
    _edit("config", env_kwargs={"map_name": "8x8", "is_slippery": True})(current(path))
    with pytest.raises(DamagedRunError, match=r"state.npz: the Q table's shape is \[16, 4\], but \[64, 4\] here"):
        TabularAgent.load(path, lib=lib)
    _edit("config", env_kwargs={"is_slippery": True}, chunk=0)(current(path))
    with pytest.raises(DamagedRunError, match="config.json: .*chunk: num_episodes must be a whole number >= 1"):
        TabularAgent.load(path, lib=lib)
    _edit("config", chunk=50, env="NoSuchWorld-v0")(current(path))
    with pytest.raises(DamagedRunError, match="config.json: its settings cannot build a TabularAgent"):
        TabularAgent.load(path, lib=lib)
