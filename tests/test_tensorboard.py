"""Every saved run carries TensorBoard event files: Q per action, loss, returns, knob changes, greedy evaluations."""

import numpy as np
import tensorflow as tf

from helpers.agents.dqn_agent import DQNAgent
from helpers.agents.qnet import build_q_network
from helpers.runs import tensorboard
from helpers.runs.history import History
from helpers.runs.runstore import save_run

NAN = float("nan")


def read_events(folder) -> dict[str, list[tuple[int, float]]]:
    """{tag: [(step, value)]} from every event file in folder, parsed with TensorFlow's own reader."""
    out = {}
    files = sorted(folder.glob("events.out.tfevents.*"))
    assert files, f"no event files in {folder}"
    for path in files:
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                assert value.metadata.plugin_data.plugin_name in ("scalars", ""), value.tag
                out.setdefault(value.tag, []).append((event.step, float(tf.make_ndarray(value.tensor))))
    return out


def short_run(n: int = 60) -> History:
    """n steps, an episode ending every 20 steps, alpha changed at step 25 and epsilon at step 40."""
    h = History(n_actions=2)
    for i in range(n):
        h.record(step=i, episode=i // 20, loss=1.0 / (i + 1) if i else NAN, q_mean=[0.5 * i, -i], alpha=0.5,
                 gamma=0.9, epsilon=0.1, learning_rate=1e-3, episode_return=float(i) if i % 20 == 19 else NAN)
    h.add_change(25, "alpha", 0.5, 0.25)
    h.add_change(40, "epsilon", 0.1, 0.0)
    return h


def test_events_hold_each_series_at_its_steps(tmp_path):
    evals = [(1_000, 40.0, 5.0), (2_000, 480.0, 12.0)]
    folder = tensorboard.write_events(tmp_path / "run", short_run(), evals=evals)
    assert folder == tmp_path / "run.tensorboard"
    tags = read_events(folder)
    assert set(tags) == {"q/action_0", "q/action_1", "loss", "episode_return", "greedy/mean", "greedy/std",
                         "knobs/alpha", "knobs/gamma", "knobs/epsilon", "knobs/learning_rate"}
    assert tags["q/action_0"] == [(i, 0.5 * i) for i in range(60)] and tags["q/action_1"][-1] == (59, -59.0)
    assert [s for s, _ in tags["loss"]] == list(range(1, 60)), "the NaN loss of step 0 is left out"
    assert tags["episode_return"] == [(19, 19.0), (39, 39.0), (59, 59.0)]
    assert tags["knobs/alpha"] == [(0, 0.5), (25, 0.25)] and tags["knobs/epsilon"] == [(0, np.float32(0.1)), (40, 0)]
    assert tags["greedy/mean"] == [(1_000, 40.0), (2_000, 480.0)] and tags["greedy/std"] == [(1_000, 5.0), (2_000, 12)]


def test_a_new_save_replaces_the_events_and_long_runs_are_thinned(tmp_path, monkeypatch):
    tensorboard.write_events(tmp_path / "run", short_run(60))
    monkeypatch.setattr(tensorboard, "MAX_POINTS", 10)
    tags = read_events(tensorboard.write_events(tmp_path / "run", short_run(90)))
    steps = [s for s, _ in tags["q/action_0"]]
    assert len(steps) == 10 and steps[0] == 0 and steps[-1] == 89, "each save rewrites the events whole"
    assert [p.name for p in tmp_path.iterdir()] == ["run.tensorboard"], "no temporary folder is left"


def test_saving_a_run_writes_its_events_beside_the_run_store(tmp_path):
    history = short_run(60)
    config = dict(env="random", seed=0, hidden=32, batch_size=8, step_count=60, episode=2, alpha=0.25,
                  gamma=0.9, epsilon=0.0, learning_rate=1e-3, evals=[(500, 21.0, 2.0)])
    folder = save_run(tmp_path / "run", kind="Trainer", model=build_q_network(4, 2, 32, 1e-3, seed=0), history=history,
                      config=config)
    tags = read_events(tmp_path / "run.tensorboard")
    assert "run.tensorboard" not in {p.name for p in folder.iterdir()}, "the run folder holds only its saves"
    assert tags["loss"][-1][0] == 59 and tags["greedy/mean"] == [(500, 21.0)]
    assert tags["knobs/alpha"] == [(0, 0.5), (25, 0.25)]


def test_a_dqn_agents_save_carries_its_greedy_evaluations_and_slider_changes(lib, tmp_path):
    agent = DQNAgent.create(seed=0, lib=lib, eval_every=512, learning_starts=256, train_freq=128,
                            gradient_steps=8, target_sync=128, epsilon_decay=2_000)
    agent.train(2)
    agent.set("alpha", 0.5)
    agent.train(2)
    agent.save(tmp_path / "dqn")
    tags = read_events(tmp_path / "dqn.tensorboard")
    (step, mean, std), = [e for e in agent.evals if e[0] == 512]
    assert tags["greedy/mean"][0] == (512, np.float32(mean)) and tags["greedy/std"][0] == (512, np.float32(std))
    assert tags["knobs/alpha"] == [(0, 1.0), (512, 0.5)], "the slider change, at its environment step"
    assert tags["q/action_0"][-1][0] == agent.dqn.global_step == 4 * agent.chunk, "x: environment steps"
