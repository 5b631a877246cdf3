"""The trainer through its public API: real TensorFlow, real gymnasium, the real Go library."""

import time

import gymnasium as gym
import numpy as np
import pytest
from polling import wait_until
from traitlets import TraitError

from helpers.agents.article import run_article_workflow
from helpers.agents.qnet import build_q_network, load_model
from helpers.agents.trainer import Trainer
from helpers.core.knobs import Hyperparams
from helpers.runs import runstore
from helpers.runs.history import History, equal
from helpers.views.training_figure import TrainingFigure


@pytest.fixture
def trainer(lib):
    """A small trainer on the article's random states, stopped after the test whatever happens."""
    t = Trainer.create(env="random", batch_size=16, seed=0, lib=lib)
    yield t
    t.stop()


# -- small environments that misbehave on purpose (real gymnasium envs) ----------


class _Scripted(gym.Env):
    """4 features, 2 actions; reward 1. Subclasses break after a few steps."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
    action_space = gym.spaces.Discrete(2)
    fail_after = 5

    def __init__(self):
        self.steps = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.steps = 0
        return self.np_random.uniform(-1, 1, 4).astype(np.float32), {}

    def step(self, action):
        self.steps += 1
        return self.np_random.uniform(-1, 1, 4).astype(np.float32), self.reward(), False, False, {}

    def reward(self):
        return 1.0


class _SensorFailure(_Scripted):
    def reward(self):
        if self.steps > self.fail_after:
            raise RuntimeError("sensor failure")
        return 1.0


class _NanReward(_Scripted):
    def reward(self):
        return float("nan") if self.steps > self.fail_after else 1.0


gym.register("qkit-test/SensorFailure-v0", entry_point=_SensorFailure)
gym.register("qkit-test/NanReward-v0", entry_point=_NanReward)


# -- the article's workflow --------------------------------------------------------


def test_article_workflow_loss_falls(lib):
    # The article's loop moves Q toward targets that rise as Q rises, so with Adam's
    # default step (1e-3) and a few dozen samples the loss is mostly reward noise.
    # A 10x learning rate lets 80 samples (~10 s) show the trend; seeds 0-2 fell 2-8x.
    model = build_q_network(seed=0, learning_rate=1e-2)
    result = run_article_workflow(80, lib=lib, alpha=0.5, gamma=0.9, seed=0, model=model)
    assert result.q_values.shape == (80, 2) and result.losses.shape == (80,)
    assert len(result.history) == 80 and np.isfinite(result.losses).all()
    first, last = result.losses[:20].mean(), result.losses[-20:].mean()
    assert last < 0.75 * first, f"loss did not fall: first 20 samples {first:.4f}, last 20 {last:.4f}"
    snap = result.history.snapshot()
    np.testing.assert_array_equal(snap["loss"], result.losses)
    np.testing.assert_allclose(snap["q_mean"], result.q_values)


def test_article_workflow_rejects_bad_arguments(lib):
    with pytest.raises(ValueError, match="alpha"):
        run_article_workflow(3, lib=lib, alpha=1.5)
    with pytest.raises(ValueError, match="num_samples"):
        run_article_workflow(0, lib=lib)


def test_q_network_is_the_articles():
    model = build_q_network(seed=0)
    assert model.input_shape == (None, 4) and model.output_shape == (None, 2)
    assert model.count_params() == 4 * 32 + 32 + 32 * 2 + 2
    assert model.layers[0].get_config()["activation"] == "relu"
    assert model.layers[1].get_config()["activation"] == "linear"
    same = build_q_network(seed=0)
    for a, b in zip(model.get_weights(), same.get_weights()):
        np.testing.assert_array_equal(a, b)


# -- the fast trainer ---------------------------------------------------------------


def test_fast_trainer_learns_the_fixed_point(lib):
    # Random states, rewards uniform in [0, 1), nothing terminates: with alpha = 1,
    # Q(s, a) must settle at E[r] / (1 - gamma) = 0.5 / 0.5 = 1 for both actions.
    t = Trainer.create(env="random", alpha=1.0, gamma=0.5, learning_rate=1e-2, batch_size=64, seed=0, lib=lib)
    t.train(400)
    snap = t.history.snapshot()
    assert t.status == "finished" and t.step_count == 400 and len(t.history) == 400
    np.testing.assert_allclose(snap["q_mean"][-50:].mean(axis=0), [1.0, 1.0], atol=0.15)
    assert snap["loss"][-50:].mean() < snap["loss"][:50].mean()
    assert snap["samples"][-1] == 400 * 64


def test_cartpole_counts_episodes(lib):
    t = Trainer.create(env="CartPole-v1", batch_size=8, seed=0, lib=lib)
    t.train(60)  # a near-random policy drops the pole in ~10-40 steps
    assert t.episode > 0
    snap = t.history.snapshot()
    assert snap["episode"][-1] == t.episode
    returns = snap["episode_return"][np.isfinite(snap["episode_return"])]
    assert len(returns) and (returns >= 1).all()  # CartPole pays 1 per step survived


def test_changing_alpha_and_gamma_while_running_takes_effect_within_one_step(trainer):
    t = trainer
    t.start()
    wait_until(lambda: t.step_count >= 20, what="20 steps")
    before = t.step_count
    t.params.alpha = 0.2
    after = t.step_count
    wait_until(lambda: t.step_count >= after + 10, what="10 more steps")
    before_g = t.step_count
    t.set("gamma", 0.5)
    after_g = t.step_count
    wait_until(lambda: t.step_count >= after_g + 10, what="10 more steps")
    assert t.status == "running", "training must keep running while the knobs move"
    t.stop()

    (a_step, a_name, a_old, a_new), (g_step, g_name, g_old, g_new) = t.history.changes
    assert (a_name, a_old, a_new) == ("alpha", 0.5, 0.2) and (g_name, g_old, g_new) == ("gamma", 0.9, 0.5)
    assert before <= a_step <= after + 1 and before_g <= g_step <= after_g + 1  # the very next step
    snap = t.history.snapshot()
    step = snap["step"]
    assert (snap["alpha"][step < a_step] == 0.5).all() and (snap["alpha"][step >= a_step] == 0.2).all()
    assert (snap["gamma"][step < g_step] == 0.9).all() and (snap["gamma"][step >= g_step] == 0.5).all()
    assert t.trace_count == 1, "alpha and gamma live in tf.Variables: changing them must not retrace"


def test_a_burst_of_changes_is_recorded_step_exact(trainer):
    # A slider dragged while training: many changes, some within the same step.
    # Replaying the changes list from the initial values must give exactly the
    # alpha and gamma recorded for every step.
    t = trainer
    t.start()
    wait_until(lambda: t.step_count >= 5, what="5 steps")
    rng = np.random.default_rng(0)
    for i in range(60):
        t.set("alpha" if i % 3 else "gamma", round(float(rng.random()), 3))
        time.sleep(float(rng.random()) * 0.004)
    wait_until(lambda: t.step_count >= t.history.changes[-1][0] + 2, what="steps after the last change")
    t.stop()
    snap, changes = t.history.snapshot(), t.history.changes
    assert len(changes) >= 55  # (a value equal to the current one is not a change)
    for name, initial in (("alpha", 0.5), ("gamma", 0.9)):
        expected = np.full(len(snap["step"]), initial)
        for step, changed, old, new in changes:
            if changed == name:
                assert expected[min(step, len(expected) - 1)] == old or step >= len(expected)
                expected[step:] = new
        np.testing.assert_array_equal(snap[name], expected, err_msg=f"{name} per step vs. the changes list")


def test_learning_rate_and_epsilon_changes_reach_the_step(trainer):
    t = trainer
    t.train(3)
    t.set("learning_rate", 0.01)
    t.params.epsilon = 1.0
    t.train(2)
    assert float(t.model.optimizer.learning_rate.numpy()) == pytest.approx(0.01)
    last = t.history.last()
    assert last["learning_rate"] == 0.01 and last["epsilon"] == 1.0
    assert [c[:2] for c in t.history.changes] == [(3, "learning_rate"), (3, "epsilon")]
    assert t.trace_count == 1


def test_pause_resume_stop(trainer):
    t = trainer
    assert t.status == "idle" and t.samples_per_second == 0.0
    t.start()
    wait_until(lambda: t.step_count >= 5, what="5 steps")
    assert t.status == "running"
    t.pause()
    assert t.status == "paused"
    paused_at = t.step_count
    time.sleep(0.3)
    assert t.step_count == paused_at, "steps must not advance while paused"
    assert t.samples_per_second == 0.0
    t.resume()
    assert t.status == "running"
    wait_until(lambda: t.step_count > paused_at + 5, what="steps after resume")
    t.stop()
    assert t.status == "stopped"
    stopped_at = t.step_count
    time.sleep(0.2)
    assert t.step_count == stopped_at
    # A step is either fully recorded or not at all.
    snap = t.history.snapshot()
    np.testing.assert_array_equal(snap["step"], np.arange(stopped_at))
    # It can be started again and continues where it stopped.
    t.start(steps=10)
    wait_until(lambda: t.status == "finished", what="status 'finished'")
    assert t.step_count == stopped_at + 10 and len(t.history) == stopped_at + 10


def test_start_twice_is_refused(trainer):
    trainer.start()
    with pytest.raises(RuntimeError, match="already running"):
        trainer.start()
    with pytest.raises(RuntimeError, match="already"):
        trainer.train(5)
    trainer.pause()
    with pytest.raises(RuntimeError, match="already paused"):
        trainer.start()
    trainer.stop()
    assert trainer.status == "stopped"


def test_reset_rebuilds_from_the_seed(lib):
    t = Trainer.create(env="CartPole-v1", batch_size=8, seed=3, lib=lib)
    initial = [w.copy() for w in t.model.get_weights()]
    t.train(20)
    t.params.alpha = 0.3
    assert any(not np.array_equal(a, b) for a, b in zip(initial, t.model.get_weights()))
    t.reset()
    assert t.status == "idle" and t.step_count == 0 and t.episode == 0
    assert len(t.history) == 0 and t.history.changes == []
    for a, b in zip(initial, t.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert t.params.alpha == 0.3, "reset keeps the knobs where they are"
    t.train(2)
    assert t.step_count == 2 and t.trace_count == 1


def test_save_and_load_round_trip(lib, tmp_path):
    t = Trainer.create(env="CartPole-v1", batch_size=8, seed=0, lib=lib)
    t.train(15)
    t.set("alpha", 0.25)
    t.train(10)
    path = t.save(tmp_path / "run")
    current = path / (path / "CURRENT").read_text().strip()  # the run store: one complete save, named here
    assert {p.name for p in current.iterdir()} >= {"model.keras", "history.sqlite", "config.json"}

    u = Trainer.load(path, lib=lib)
    for a, b in zip(t.model.get_weights(), u.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert equal(t.history.snapshot(), u.history.snapshot())
    assert u.history.changes == [(15, "alpha", 0.5, 0.25)]
    assert (u.step_count, u.episode, u.params.as_dict()) == (t.step_count, t.episode, t.params.as_dict())
    assert int(u.model.optimizer.iterations.numpy()) == int(t.model.optimizer.iterations.numpy()) == 25
    u.train(5)  # and it trains on, numbering steps after the saved ones
    snap = u.history.snapshot()
    assert snap["step"][-1] == 29 and snap["samples"][-1] == 30 * 8
    assert (np.diff(snap["time"]) >= 0).all(), "the time column continues after load()"


def test_save_while_running_is_consistent(trainer, tmp_path):
    trainer.start()
    wait_until(lambda: trainer.step_count >= 10, what="10 steps")
    path = trainer.save(tmp_path / "live")
    assert trainer.status == "running", "save() resumes a running trainer"
    trainer.stop()
    saved = runstore.load_run(path, load_model).history
    np.testing.assert_array_equal(saved.full()["step"], np.arange(len(saved)))


def test_an_error_in_the_training_thread_is_kept(lib):
    t = Trainer.create(env="qkit-test/SensorFailure-v0", batch_size=4, seed=0, lib=lib)
    t.start()
    wait_until(lambda: t.status != "running", what="the thread to end")
    assert t.status == "error"
    assert isinstance(t.error, RuntimeError) and "sensor failure" in str(t.error)
    assert t.step_count == _Scripted.fail_after and len(t.history) == t.step_count
    t.stop()  # harmless after an error
    assert t.status == "error" and t.error is not None


def test_a_go_error_reaches_the_caller_as_itself(lib):
    t = Trainer.create(env="qkit-test/NanReward-v0", batch_size=4, seed=0, lib=lib)
    with pytest.raises(ValueError, match="reward.*nan.*finite"):
        t.train(20)  # Go refuses the NaN reward; train() raises it and keeps it
    assert t.status == "error" and isinstance(t.error, ValueError)
    assert len(t.history) == t.step_count == _Scripted.fail_after


@pytest.mark.parametrize("name, value", [("alpha", 1.5), ("gamma", -0.1), ("epsilon", float("nan")),
                                         ("learning_rate", 0.0), ("alpha", "0.5"), ("gamma", True)])
def test_bad_hyperparameters_are_refused(trainer, name, value):
    with pytest.raises(ValueError, match=name):
        trainer.set(name, value)
    with pytest.raises(TraitError, match=name):
        setattr(trainer.params, name, value)
    assert trainer.params.as_dict() == Hyperparams().as_dict() and trainer.history.changes == []


def test_bad_constructor_arguments_are_refused(lib):
    with pytest.raises(ValueError, match="alpha.*\\[0, 1\\]"):
        Trainer.create(env="random", alpha=2.0, lib=lib)
    with pytest.raises(ValueError, match="batch_size"):
        Trainer.create(env="random", batch_size=0, lib=lib)
    with pytest.raises(ValueError, match="unknown environment"):
        Trainer.create(env="NoSuchEnv-v9", lib=lib)
    with pytest.raises(ValueError, match="discrete"):
        Trainer.create(env="Pendulum-v1", lib=lib)
    with pytest.raises(ValueError, match="unknown hyperparameter"):
        Trainer.create(env="random", batch_size=2, lib=lib).set("beta", 0.5)


@pytest.mark.parametrize("kwargs, name", [(dict(batch_size=10**9), "batch_size"), (dict(hidden=10**9), "hidden"),
                                          (dict(seed=-1), "seed"), (dict(seed=2**64), "seed"),
                                          (dict(hidden=True), "hidden")])
def test_sizes_that_would_eat_all_memory_are_refused_by_name(lib, kwargs, name):
    """A typo such as hidden=10**9 must be a clear error, not a kernel killed by the OOM killer."""
    with pytest.raises(ValueError, match=f"{name} must be a whole number >= "):
        Trainer.create(env="random", lib=lib, **kwargs)


# -- the figure ----------------------------------------------------------------------


def test_figure_updates_its_lines_and_marks_changes(trainer):
    t = trainer
    t.train(10)
    t.set("alpha", 0.2)
    t.train(10)
    t.set("gamma", 0.8)
    t.set("epsilon", 0.3)  # marked too: every knob on a slider is
    t.train(5)
    fig = TrainingFigure(title="random")
    lines = fig.ax_q.lines[:2] + fig.ax_loss.lines[:2]
    assert len(lines) == 4
    fig.update(t.history.snapshot())
    fig.update(t.history.snapshot())
    assert fig.ax_q.lines[:2] + fig.ax_loss.lines[:2] == lines, "update() moves the existing lines"
    np.testing.assert_array_equal(fig.q_lines[0].get_xdata(), np.arange(25))
    def vertical(ax):  # the change markers: dashed vertical lines
        return [ln.get_xdata()[0] for ln in ax.lines if ln.get_linestyle() == "--" and len(set(ln.get_xdata())) == 1]

    assert vertical(fig.ax_q) == vertical(fig.ax_loss) == [10, 20, 20]
    assert any("α 0.5→0.2" in a.get_text() for a in fig.markers.artists if hasattr(a, "get_text"))
    png = fig.png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    t.reset()
    fig.update(t.history.snapshot())  # a cleared history clears the markers
    assert not vertical(fig.ax_loss)


def test_a_long_history_is_snapshotted_in_bounded_size():
    """A live figure reads at most max_rows steps, evenly spread, the first and the last included."""

    h = History(n_actions=2)
    for i in range(5000):
        h.record(step=i, episode=0, loss=float(i), q_mean=[i, -i], alpha=0.5, gamma=0.9, epsilon=0.1,
                 learning_rate=1e-3)
    h.add_change(10, "alpha", 0.5, 0.2)
    full, thin = h.snapshot(), h.snapshot(max_rows=100)
    assert len(full["step"]) == 5000 and len(thin["step"]) == 100
    assert thin["step"][0] == 0 and thin["step"][-1] == 4999
    assert np.all(np.diff(np.diff(thin["step"])) <= 1)  # evenly spread
    np.testing.assert_array_equal(thin["q_mean"][:, 0], thin["step"])  # rows stay whole
    assert thin["changes"] == full["changes"] == [(10, "alpha", 0.5, 0.2)]
    assert len(h.snapshot(max_rows=10_000)["step"]) == 5000  # short histories come back whole
