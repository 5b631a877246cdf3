"""The live dashboard's logic, in-process (no browser): widgets are driven as the front end would."""

import re
import threading
import time

import pytest

pytest.importorskip("ipywidgets")

from polling import wait_until

from helpers.agents.trainer import Trainer, running_trainers
from helpers.views import dashboard
from helpers.views.dashboard import Dashboard, stretch_table, stretches


def render_threads():
    return [t for t in threading.enumerate() if t.name == "dashboard-render" and t.is_alive()]


@pytest.fixture
def trainer():
    t = Trainer.create(env="CartPole-v1", alpha=0.5, gamma=0.9, batch_size=8, seed=0)
    yield t
    t.stop()


@pytest.fixture(autouse=True)
def no_leftovers():
    """Every test ends with no dashboard drawing and none of its trainers running."""
    before = set(running_trainers())
    yield
    for dash in list(dashboard._LIVE.values()):
        dash.close(stop_trainer=True)
    dashboard._LIVE.clear()
    assert not render_threads()
    assert set(running_trainers()) <= before


def test_slider_sets_the_trainer_and_is_recorded(trainer):
    dash = Dashboard(trainer)
    dash.sliders["alpha"].value = 0.25  # what the browser does when the handle moves
    assert trainer.params.alpha == 0.25
    assert trainer.history.changes == [(0, "alpha", 0.5, 0.25)]
    dash.sliders["learning_rate"].value = 1e-2
    assert trainer.params.learning_rate == pytest.approx(1e-2)


def test_a_change_from_code_moves_the_slider_without_echo(trainer):
    dash = Dashboard(trainer)
    trainer.set("gamma", 0.3)
    assert dash.sliders["gamma"].value == 0.3
    assert trainer.history.changes == [(0, "gamma", 0.9, 0.3)], "the slider must not record it a second time"


def test_a_slider_move_while_training_takes_effect_and_training_continues(trainer):
    dash = Dashboard(trainer)
    dash.buttons["start"].click()
    wait_until(lambda: trainer.step_count > 20, what="training to start")
    dash.sliders["alpha"].value = 0.75
    step, name, old, new = trainer.history.changes[-1]
    assert (name, old, new) == ("alpha", 0.5, 0.75)
    wait_until(lambda: trainer.step_count > step + 20, what="training to go on after the change")
    snap = trainer.history.snapshot()
    # The recorded step is the first one trained with the new value.
    assert set(snap["alpha"][snap["step"] >= step]) == {0.75}
    assert set(snap["alpha"][snap["step"] < step]) == {0.5}
    assert trainer.status == "running"


def test_buttons_drive_the_trainer(trainer):
    dash = Dashboard(trainer)
    b = dash.buttons
    assert trainer.status == "idle" and b["pause"].disabled and b["stop"].disabled
    b["start"].click()
    assert trainer.status == "running" and b["start"].disabled and not b["stop"].disabled
    wait_until(lambda: trainer.step_count > 0, what="a first step")  # a person is slower than a thread
    b["pause"].click()
    assert trainer.status == "paused" and b["pause"].description == "Resume"
    paused_at = trainer.step_count
    time.sleep(0.2)
    assert trainer.step_count == paused_at
    b["pause"].click()  # now labelled Resume
    assert trainer.status == "running" and b["pause"].description == "Pause"
    b["stop"].click()
    assert trainer.status == "stopped" and not b["start"].disabled
    assert trainer.step_count > 0
    b["reset"].click()
    assert trainer.status == "idle" and trainer.step_count == 0 and len(trainer.history) == 0
    b["start"].click()
    wait_until(lambda: trainer.step_count > 0, what="a restart after reset")


def test_status_line_shows_progress(trainer):
    dash = Dashboard(trainer, fps=20)
    dash.start()
    wait_until(lambda: trainer.step_count > 50 and "running" in dash.status.value, what="the status line")
    wait_until(lambda: "step <b>0</b>" not in dash.status.value, what="the step count in the status line")
    for word in ("step", "episode", "steps/s", "samples/s", "running"):
        assert word in dash.status.value


def test_the_image_changes_as_training_proceeds(trainer):
    dash = Dashboard(trainer, fps=10)
    wait_until(lambda: dash.frames >= 1, what="the first frame")
    first = bytes(dash.image.value)
    assert first.startswith(b"\x89PNG")
    dash.start()
    wait_until(lambda: dash.frames >= 3 and bytes(dash.image.value) != first, what="a new frame")
    seen = bytes(dash.image.value)
    wait_until(lambda: bytes(dash.image.value) != seen, what="another frame while training runs")


def test_an_idle_dashboard_does_not_redraw(trainer):
    dash = Dashboard(trainer, fps=20)
    wait_until(lambda: dash.frames >= 1, what="the first frame")
    time.sleep(0.3)
    assert dash.frames == 1
    dash.sliders["gamma"].value = 0.5  # a change is news even while idle: it gets its marker
    wait_until(lambda: dash.frames == 2, what="a frame showing the change")


def test_without_rendering_the_status_still_updates(trainer):
    dash = Dashboard(trainer, fps=20, render=False)
    dash.start()
    wait_until(lambda: "running" in dash.status.value, what="the status line")
    assert dash.frames == 0 and bytes(dash.image.value) == b""


def test_an_error_in_the_training_thread_is_shown(trainer, monkeypatch):
    dash = Dashboard(trainer, fps=20)
    record = trainer.history.record

    def failing_record(**kw):
        if kw["step"] >= 5:
            raise FloatingPointError("the loss became NaN (made up by the test)")
        record(**kw)

    monkeypatch.setattr(trainer.history, "record", failing_record)
    dash.start()
    wait_until(lambda: dash.errors_seen, what="the error in the dashboard")
    assert "training thread" in dash.errors_seen[0] and "NaN" in dash.errors_seen[0]
    shown = "".join(o["text"] for o in dash.errors.outputs)
    assert "FloatingPointError" in shown and "Traceback" in shown
    wait_until(lambda: "error" in dash.status.value, what="the status 'error'")
    time.sleep(0.2)
    assert len(dash.errors_seen) == 1, "one failure is reported once, not once per frame"


def test_an_error_in_a_callback_is_shown(trainer, monkeypatch):
    dash = Dashboard(trainer)

    def refuse(change):  # the slider is linked to the trait: make setting the trait fail
        raise RuntimeError(f"cannot set {change['name']}")

    trainer.params.observe(refuse, names="alpha")
    dash.sliders["alpha"].value = 0.1  # must not raise into the widget machinery
    trainer.params.unobserve(refuse, names="alpha")
    assert dash.errors_seen == ["Error in the alpha slider: RuntimeError: cannot set alpha\n"]
    monkeypatch.setattr(trainer, "start", lambda steps=None: 1 / 0)
    dash.buttons["start"].click()
    assert "Start button: ZeroDivisionError" in dash.errors_seen[-1]


def test_an_error_in_the_render_thread_is_shown(trainer):
    class BrokenFigure:
        def update(self, snapshot):
            raise ValueError("cannot draw")

    dash = Dashboard(trainer, fps=20, figure=BrokenFigure())
    wait_until(lambda: dash.errors_seen, what="the render error")
    assert dash.errors_seen == ["Error in the render thread: ValueError: cannot draw\n"]
    assert dash.running, "the render thread reports and goes on"


def test_rebuilding_replaces_the_previous_dashboard(trainer):
    first = Dashboard(trainer)
    first.start()
    second = Dashboard(trainer)  # the notebook cell run again
    assert not first.running and second.running
    assert len(render_threads()) == 1
    assert trainer.status == "running", "the same trainer keeps training under the new dashboard"
    assert running_trainers() == [trainer]
    first.sliders["alpha"].value = 0.2  # the old widgets no longer steer anything
    assert trainer.params.alpha == 0.5
    trainer.set("gamma", 0.4)
    assert second.sliders["gamma"].value == 0.4


def test_a_new_trainer_stops_the_old_one():
    old = Trainer.create(env="CartPole-v1", batch_size=8, seed=0)
    Dashboard(old).start()
    new = Trainer.create(env="CartPole-v1", batch_size=8, seed=1)  # both cells run again
    dash = Dashboard(new)
    assert old.status == "stopped", "a trainer nobody can see any more must not keep training"
    assert len(render_threads()) == 1 and dash.running


def test_watch_trains_a_bounded_run(trainer):
    dash = Dashboard(trainer)
    dash.watch(30)
    assert trainer.step_count == 30 and trainer.status == "finished"
    dash.start()
    dash.watch(20)  # already running: waits for 20 more steps, leaves it running
    assert trainer.step_count >= 50 and trainer.status == "running"


def test_stretches_summarise_each_setting(trainer):
    trainer.train(20)
    trainer.set("gamma", 0.0)
    trainer.train(10)
    rows = stretches(trainer.history.snapshot())
    assert [(r["from"], r["to"], r["gamma"]) for r in rows] == [(0, 19, 0.9), (20, 29, 0.0)]
    assert "median loss" in stretch_table(trainer)


def test_closing_twice_is_harmless(trainer):
    """A bench or a notebook may close a dashboard that a newer one with the same key closes again."""
    first = Dashboard(trainer, key="twice")
    first.close()
    Dashboard(trainer, key="twice").close()  # replacing the closed one must not fail
    first.close()


def test_the_status_line_says_what_a_train_until_solved_cell_does(lib):
    """Lesson 05's Step 2: the status says 'running' and what the cell waits for, never 'finished', rate > 0."""
    from helpers.agents.dqn_agent import DQNAgent
    from helpers.lessons.dqn_lesson import train_until_solved

    agent = DQNAgent.create(seed=0, lib=lib)  # an evaluation every 10 lifecycle steps (2,560 env steps)
    dash = Dashboard(agent, render=False, fps=20)
    seen, done = [], threading.Event()

    def sample():  # what the learner reads, 100 times a second
        while not done.is_set():
            seen.append((time.monotonic(), dash.status.value))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    start = time.monotonic()
    sampler.start()
    try:
        train_until_solved(dash, 7_680, quiet=True)  # three runs, each ending on an evaluation (seconds long)
    finally:
        done.set()
        sampler.join()
    assert agent.dqn.global_step == 7_680 and len(agent.evals) == 3
    waiting = [text for t, text in seen if t > start + 0.2]
    assert waiting and not [t for t in waiting if "finished" in t], "it trains all along: never 'finished'"
    assert all("● running" in t and "this cell trains until solved" in t for t in waiting[:-10]), waiting[-1]
    later = [text for t, text in seen if t > start + 1.0][:-10]
    zero = [t for t in later if "steps/s <b>0</b>" in t]
    assert later and len(zero) <= 0.1 * len(later), f"steps/s read 0 in {len(zero)} of {len(later)} samples"
    measured = [t for t in later if re.search(r"steps/s <b>[1-9][\d,]*</b>", t)]
    assert len(measured) >= 0.5 * len(later), f"steps/s showed a rate in {len(measured)} of {len(later)} samples"
    # before the first measurement (the first training phase compiles for about a second) it says so
    assert "steps/s <b>—</b>" in seen[0][1] or "steps/s <b>—</b>" in waiting[0], (seen[0], waiting[0])
    assert "this cell" not in dash.status.value, "after the cell, the status line drops the note"


def test_a_live_tabular_run_is_paced_as_lesson_03_says(lib):
    """Lesson 03, section 4: 20 steps (1,000 episodes) a second under a dashboard; `train` alone runs flat out."""
    import json

    from helpers.agents.tabular_agent import TabularAgent
    from helpers.tooling import notebooks

    text = " ".join(" ".join(json.loads((notebooks.NOTEBOOK_DIR / "03_q_learning_in_a_table.ipynb").read_text())
                             ["cells"][i]["source"]) for i in range(20)).replace("\n", " ")
    text = " ".join(text.split())
    assert "paces it at 20 steps (1,000 episodes) a second" in text and "400 steps take 20 s" in text
    lake = dict(map_name="8x8", is_slippery=True, alpha=0.1, gamma=0.95, epsilon=0.5, seed=0, lib=lib)
    agent = TabularAgent.create("FrozenLake-v1", **lake)  # the lesson's live agent
    dash = Dashboard(agent, render=False)
    start = time.perf_counter()
    assert dash.watch(40)
    seconds = time.perf_counter() - start
    assert 1.9 < seconds < 4.0, f"40 paced steps took {seconds:.2f} s (20 a second: 2 s)"
    assert agent.episode == 40 * 50 and agent.chunk * dashboard.LIVE_PACE["tabular"] == 1_000
    agent.set("epsilon", 0.1)  # lesson 03's next line: watch again while the last paced step still rests
    assert dash.watch(10) and agent.step_count == 50, agent.step_count
    alone = TabularAgent.create("FrozenLake-v1", **lake)
    start = time.perf_counter()
    alone.train(40)
    assert time.perf_counter() - start < 1.0, "without a dashboard, train runs flat out"


def test_the_in_force_line_shows_what_the_agent_uses_as_the_sliders_read(trainer):
    dash = Dashboard(trainer, fps=20)
    dash.sliders["alpha"].value = 0.25  # as the browser sends it
    wait_until(lambda: "α <b>0.25</b>" in dash.in_force.value, 5, "the in-force line to show α = 0.25")
    assert "γ <b>0.90</b>" in dash.in_force.value and "e-0" not in dash.in_force.value, dash.in_force.value
    assert "a slider move counts once this line shows it" in dash.in_force.value


def test_stop_pressed_while_a_cell_waits_ends_the_wait(lib):
    """Stop during train_until_solved (runs that end on each evaluation) ends it: nothing restarts."""
    from helpers.agents.dqn_agent import DQNAgent
    from helpers.lessons.dqn_lesson import env_steps, train_until_solved

    agent = DQNAgent.create(seed=0, lib=lib, eval_every=256)  # a new bounded run after every step
    dash = Dashboard(agent, render=False)

    def press_stop_later():
        wait_until(lambda: len(agent.evals) >= 2, 60, "two evaluations")
        dash.buttons["stop"].click()  # as the browser does, from another thread (a kernel subshell)

    presser = threading.Thread(target=press_stop_later)
    presser.start()
    assert train_until_solved(dash, 100 * 256, quiet=True) is None
    presser.join()
    assert not agent.status.active and env_steps(agent) <= 4 * 256, (agent.status, env_steps(agent))
    assert dash.watch(1) and agent.status != "stopped", "the next cell that waits trains again"


def test_a_dashboard_made_without_rendering_draws_once_rendering_is_on(lib):
    """make bench turns rendering on and off on one dashboard: the frames must come when it is on."""
    trainer = Trainer.create(env="random", seed=0, lib=lib)
    dash = Dashboard(trainer, render=False, fps=10, key="render-later")
    try:
        trainer.start()
        dash.render = True
        wait_until(lambda: dash.frames > 0, timeout=20, what="a frame after render = True")
        assert not dash.errors_seen, dash.errors_seen
    finally:
        dash.close(stop_trainer=True)
