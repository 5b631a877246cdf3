"""The training lifecycle without races: stop always wins, saves are consistent, Ctrl+C is clean.

Real threads and a real Trainer (TensorFlow, the Go library, the run store)."""

import _thread
import contextlib
import random
import threading
import time

import pytest

from helpers.agents.qnet import load_model
from helpers.agents.trainer import Trainer
from helpers.runs import runstore
from helpers.runs.lifecycle import Runner, Status


def slow_step(counter: list, seconds: float = 0.002):
    def step():
        time.sleep(seconds)
        counter.append(1)
    return step


def test_status_is_an_enum_that_reads_like_its_name():
    assert Status.RUNNING == "running" and str(Status.PAUSED) == "paused"
    assert {"running": 1}[Status.RUNNING] == 1
    assert Status.PAUSED.active and not Status.STOPPED.active


def test_runner_start_pause_resume_stop():
    done = []
    r = Runner(slow_step(done))
    assert r.status is Status.IDLE
    r.start()
    time.sleep(0.05)
    r.pause()
    assert r.status is Status.PAUSED
    n = len(done)
    time.sleep(0.05)
    assert len(done) == n, "a paused runner made steps"
    r.resume()
    time.sleep(0.05)
    assert len(done) > n
    r.stop()
    assert r.status is Status.STOPPED and not r.alive()


def test_runner_finishes_and_keeps_errors():
    done = []
    r = Runner(slow_step(done, 0))
    r.start(25)
    assert r.wait() is Status.FINISHED and len(done) == 25

    def boom():
        raise ZeroDivisionError("in a step")
    r = Runner(boom)
    r.start()
    assert r.wait() is Status.ERROR and isinstance(r.error, ZeroDivisionError)


@pytest.mark.parametrize("trial", range(30))
def test_stop_always_wins_over_a_concurrent_pause(trial):
    r = Runner(slow_step([], 0.0005))
    r.start()
    barrier = threading.Barrier(3)

    def press(fn):
        barrier.wait()
        fn()

    threads = [threading.Thread(target=press, args=(fn,)) for fn in (r.pause, lambda: r.stop(timeout=5))]
    for t in threads:
        t.start()
    barrier.wait()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads), "a button press hung"
    assert r.status is Status.STOPPED and not r.alive(), f"trial {trial}: the stop was lost ({r.status})"


def test_storm_of_buttons_on_a_real_trainer(lib, tmp_path):
    """Threads press start/pause/resume/stop/reset/save at random for a few seconds."""
    t = Trainer.create(env="random", batch_size=8, seed=0, lib=lib)
    errors, saves = [], []
    deadline = time.monotonic() + 4.0

    def presser(k: int):
        rng = random.Random(k)
        while time.monotonic() < deadline:
            action = rng.choice(["start", "pause", "resume", "stop", "reset", "save", "save"])
            try:
                if action == "start":
                    with contextlib.suppress(RuntimeError):  # already running: a clear refusal
                        t.start()
                elif action == "save":
                    saves.append(t.save(tmp_path / f"run-{k}"))
                else:
                    getattr(t, action)()
            except Exception as e:  # anything else is a defect
                errors.append(f"{action}: {type(e).__name__}: {e}")
            time.sleep(rng.random() * 0.02)

    threads = [threading.Thread(target=presser, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert not any(th.is_alive() for th in threads), "deadlock: a presser thread never returned"
    t.stop(timeout=10)
    assert t.status in (Status.STOPPED, Status.IDLE, Status.FINISHED) and not t._runner.alive()
    assert not errors, errors[:5]
    assert not [th for th in threading.enumerate() if th.name == "qkit-trainer" and th.is_alive()]
    assert saves, "no save happened in the storm"
    for k in range(4):
        folder = tmp_path / f"run-{k}"
        if folder.exists():
            run = runstore.load_run(folder, load_model)  # checks step count, history rows and optimizer steps agree
            assert len(run.history) == run.config["step_count"]


def test_save_while_another_thread_resumes_is_consistent(lib, tmp_path):
    t = Trainer.create(env="random", batch_size=8, seed=0, lib=lib)
    t.start()
    stop = threading.Event()

    def toggler():
        while not stop.is_set():
            t.pause()
            t.resume()

    th = threading.Thread(target=toggler)
    th.start()
    try:
        for i in range(10):
            run = runstore.load_run(t.save(tmp_path / f"r{i}"), load_model)
            assert len(run.history) == run.config["step_count"] == int(run.model.optimizer.iterations.numpy())
    finally:
        stop.set()
        th.join(10)
        t.stop()


def test_ctrl_c_in_blocking_train_leaves_model_and_history_consistent(lib):
    t = Trainer.create(env="random", batch_size=8, seed=0, lib=lib)
    t.train(3)  # traced and warm
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        t.train(10**6)
    timer.cancel()
    assert t.status is Status.STOPPED
    steps = t.step_count
    assert steps > 3
    assert len(t.history) == steps == int(t.model.optimizer.iterations.numpy())
