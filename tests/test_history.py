"""History: bounded memory, every step on disk, thread-safe saves, and damaged files named clearly."""

import gc
import os
import sqlite3
import threading
import time
import tracemalloc

import numpy as np
import pytest

from helpers.runs.history import DamagedRunError, History, equal


def fill(h: History, n: int, start: int = 0) -> None:
    """Record steps start..n-1 with values that follow from the step (so any row can be checked)."""
    for i in range(start, n):
        h.record(step=i, episode=i // 10, samples=8 * (i + 1), time=0.001 * i, loss=1.0 / (i + 1),
                 q_mean=[0.5 * i, -0.25 * i], alpha=0.5, gamma=0.9, epsilon=float("nan") if i % 7 else 0.1,
                 learning_rate=1e-3, episode_return=float(i) if i % 10 == 9 else float("nan"))


def check_rows(snap: dict) -> None:
    """Every row of a snapshot or full() holds the values fill() recorded for its step."""
    s = snap["step"]
    np.testing.assert_array_equal(snap["episode"], s // 10)
    np.testing.assert_array_equal(snap["samples"], 8 * (s + 1))
    np.testing.assert_array_equal(snap["loss"], 1.0 / (s + 1))
    np.testing.assert_array_equal(snap["q_mean"], np.column_stack([0.5 * s, -0.25 * s]))
    np.testing.assert_array_equal(snap["epsilon"], np.where(s % 7, np.nan, 0.1))
    np.testing.assert_array_equal(snap["episode_return"], np.where(s % 10 == 9, s.astype(float), np.nan))


@pytest.fixture
def saved(tmp_path):
    """A saved 100-step history with two changes: (path, the History)."""
    h = History(n_actions=2)
    fill(h, 100)
    h.add_change(20, "alpha", 0.5, 0.25)
    h.add_change(60, "gamma", 0.9, 0.5)
    return h.save(tmp_path / "history.sqlite"), h


# -- in memory ------------------------------------------------------------------------


def test_a_short_history_is_kept_whole():
    h = History(n_actions=2)
    assert h.last() is None and len(h) == 0 and h.snapshot()["q_mean"].shape == (0, 2)
    fill(h, 50)
    h.add_change(10, "alpha", 0.5, 0.2)
    snap = h.snapshot()
    np.testing.assert_array_equal(snap["step"], np.arange(50))
    check_rows(snap)
    assert snap["step"].dtype == np.int64 and snap["changes"] == [(10, "alpha", 0.5, 0.2)]
    assert h.last() == {"step": 49, "episode": 4, "samples": 400, "time": 0.049, "loss": 1 / 50, "alpha": 0.5,
                        "gamma": 0.9, "epsilon": 0.1, "learning_rate": 1e-3, "episode_return": 49.0,
                        "q_mean": [24.5, -12.25]}
    assert equal(h.snapshot(), h.full())


def test_memory_is_bounded_and_every_step_stays_on_disk():
    tracemalloc.start()
    try:
        h = History(n_actions=2, keep=1000)
        fill(h, 20_000)
        at_20k = tracemalloc.get_traced_memory()[0]
        fill(h, 60_000, start=20_000)
        at_60k = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert at_60k < at_20k + 20_000, f"memory grew with the run: {at_20k:,} B at 20k steps, {at_60k:,} B at 60k"
    fill(h, 200_000, start=60_000)
    assert len(h) == 200_000
    snap = h.snapshot()
    steps = snap["step"]
    assert len(steps) <= 1001 and steps[0] == 0 and steps[-1] == 199_999
    assert len(set(np.diff(steps[:-1]))) == 1, "the in-memory rows are evenly spaced"
    check_rows(snap)
    few = h.snapshot(max_rows=50)
    assert len(few["step"]) <= 50 and few["step"][0] == 0 and few["step"][-1] == 199_999
    assert h.last()["step"] == 199_999 and h.last()["q_mean"] == [0.5 * 199_999, -0.25 * 199_999]
    full = h.full()
    np.testing.assert_array_equal(full["step"], np.arange(200_000))
    check_rows(full)


def test_record_refuses_a_step_out_of_order_and_a_wrong_q_mean():
    h = History(n_actions=2)
    fill(h, 3)
    with pytest.raises(ValueError, match="step must be 3"):
        fill(h, 6, start=4)
    with pytest.raises(ValueError, match="q_mean must hold 2 values"):
        h.record(step=3, episode=0, loss=0.0, q_mean=[1.0], alpha=0.5, gamma=0.9, epsilon=0.1, learning_rate=1e-3)
    h.add_change(5, "alpha", 0.5, 0.4)
    with pytest.raises(ValueError, match="step order"):
        h.add_change(4, "gamma", 0.9, 0.8)
    assert len(h) == 3 and len(h.full()["step"]) == 3


def test_clear_starts_over_from_step_zero():
    h = History(n_actions=2, keep=100)
    fill(h, 5000)
    h.add_change(3, "alpha", 0.5, 0.1)
    h.clear()
    assert len(h) == 0 and h.changes == [] and len(h.full()["step"]) == 0 and h.last() is None
    fill(h, 10)
    np.testing.assert_array_equal(h.full()["step"], np.arange(10))


def test_the_spool_file_goes_with_the_history():
    h = History()
    fill(h, 10)
    h.flush()
    spool = h.spool_path
    assert spool.exists()
    h.close()
    assert not spool.parent.exists()
    g = History()
    spool = g.spool_path
    del g
    gc.collect()
    assert not spool.parent.exists(), "garbage collection must delete the spool folder"


_SPOOL_CHILD = """
import os, sys, time
from helpers.runs.history import History
h = History()
h.record(step=0, episode=0, samples=1, time=0.0, loss=1.0, q_mean=[0.0, 0.0], alpha=0.5, gamma=0.9,
         epsilon=0.1, learning_rate=1e-3, episode_return=float("nan"))
h.flush()
print(h.spool_path.parent, flush=True)
if sys.argv[1] == "wait":
    time.sleep(60)
"""


def test_a_killed_kernels_spool_is_cleared_by_the_next_history(tmp_path):
    """SIGKILL runs no finalizer; the next History (any process) deletes the orphan, never a live one's."""
    import signal
    import subprocess
    import sys

    env = {**os.environ, "TMPDIR": str(tmp_path)}  # a temp folder of our own, shared by the processes
    victim = subprocess.Popen([sys.executable, "-c", _SPOOL_CHILD, "wait"], stdout=subprocess.PIPE, text=True, env=env)
    living = subprocess.Popen([sys.executable, "-c", _SPOOL_CHILD, "wait"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        orphan, alive = victim.stdout.readline().strip(), living.stdout.readline().strip()
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        assert os.path.isdir(orphan), "the killed process left its spool (what this cleans up)"
        subprocess.run([sys.executable, "-c", _SPOOL_CHILD, "done"], check=True, env=env, capture_output=True)
        assert not os.path.exists(orphan), "a new History must delete the killed process's spool folder"
        assert os.path.isdir(alive), "a live process's spool must stay"
    finally:
        for p in (victim, living):
            p.kill()
            p.wait(timeout=30)


def test_threads_record_snapshot_and_save_at_once(tmp_path):
    h = History(n_actions=2, keep=500)
    errors, saves, stop = [], [], threading.Event()

    def guard(work):
        def run():
            try:
                work()
            except BaseException as e:  # reported below, with the thread's traceback
                errors.append(e)
                stop.set()
        return threading.Thread(target=run)

    def writer():
        i = 0
        while not stop.is_set():
            fill(h, i + 50, start=i)
            i += 50

    def reader():
        while not stop.is_set():
            snap = h.snapshot(max_rows=200)
            assert len(snap["step"]) <= 200 and (np.diff(snap["step"]) > 0).all()
            check_rows(snap)

    def saver():
        while not stop.is_set():
            saves.append(h.save(tmp_path / f"h{len(saves)}.sqlite"))

    threads = [guard(writer), guard(reader), guard(reader), guard(saver)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(10)
    assert not errors, repr(errors[0])
    assert len(saves) >= 3 and len(h) > 1000
    sizes = []
    for path in saves:
        u = History.load(path)
        full = u.full()
        np.testing.assert_array_equal(full["step"], np.arange(len(u)))
        check_rows(full)
        sizes.append(len(u))
    assert sizes == sorted(sizes), "each save holds the history as it was at that moment"
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name], "no temp files are left behind"


# -- saved files ------------------------------------------------------------------------


def test_save_and_load_round_trip(saved, tmp_path):
    path, h = saved
    u = History.load(path)
    assert len(u) == 100 and u.n_actions == 2 and u.changes == h.changes
    np.testing.assert_equal(u.last(), h.last())  # (NaN equal to NaN)
    assert equal(u.full(), h.full()) and equal(u.snapshot(), h.snapshot())
    fill(u, 130, start=100)  # a loaded history records on where it left off
    u.add_change(120, "epsilon", 0.1, 0.05)
    again = History.load(u.save(path))  # saving over an existing file replaces it whole
    np.testing.assert_array_equal(again.full()["step"], np.arange(130))
    check_rows(again.full())
    assert again.changes[-1] == (120, "epsilon", 0.1, 0.05)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.sqlite"]


def test_a_long_history_loads_with_a_thinned_view(tmp_path):
    h = History(n_actions=2, keep=100)
    fill(h, 1000)
    u = History.load(h.save(tmp_path / "long.sqlite"), keep=100)
    assert equal(u.snapshot(), h.snapshot())
    fill(u, 1500, start=1000)
    fill(h, 1500, start=1000)
    assert equal(u.snapshot(), h.snapshot()), "a loaded view thins exactly like one that grew"


def _sql(path, *statements):
    """Damage a saved file the way a hand edit or another program would."""
    conn = sqlite3.connect(path)
    for s in statements:
        conn.execute(s)
    conn.commit()
    conn.close()


def _cut(path, keep_fraction):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep_fraction)])


DAMAGE = {
    "empty file": (lambda p: p.write_bytes(b""), "empty"),
    "random bytes": (lambda p: p.write_bytes(np.random.default_rng(0).bytes(5000)), "not an SQLite"),
    "cut in half": (lambda p: _cut(p, 0.5), "cut short"),
    "cut to the header": (lambda p: _cut(p, 0.001), "cut short"),
    "rows deleted from the middle": (lambda p: _sql(p, "DELETE FROM steps WHERE step BETWEEN 10 AND 49",
                                                    "UPDATE meta SET value = 60 WHERE key = 'rows'"),
                                     "jump from 9 to 50"),
    "first rows deleted": (lambda p: _sql(p, "DELETE FROM steps WHERE step < 5",
                                          "UPDATE meta SET value = 95 WHERE key = 'rows'",
                                          "UPDATE meta SET value = 99 WHERE key = 'last_step'"), "start at 5"),
    "rows deleted, meta untouched": (lambda p: _sql(p, "DELETE FROM steps WHERE step > 89"), "says 100 rows"),
    "meta count changed": (lambda p: _sql(p, "UPDATE meta SET value = 99 WHERE key = 'rows'"), "says 99 rows"),
    "a NULL value": (lambda p: _sql(p, "UPDATE steps SET alpha = NULL WHERE step = 17"), "step 17 .*'alpha'"),
    "a NULL step count": (lambda p: _sql(p, "UPDATE steps SET episode = NULL WHERE step = 3"), "'episode'"),
    "text for a number": (lambda p: _sql(p, "UPDATE steps SET loss = 'lots' WHERE step = 42"), "'lots'.*'loss'"),
    "a table missing": (lambda p: _sql(p, "DROP TABLE changes"), "no 'changes' table"),
    "a column missing": (lambda p: _sql(p, "ALTER TABLE steps DROP COLUMN gamma"), "lacks.*gamma"),
    "meta missing a count": (lambda p: _sql(p, "DELETE FROM meta WHERE key = 'rows'"), "'rows'"),
    "unsorted changes": (lambda p: _sql(p, "UPDATE changes SET step = 90 WHERE name = 'alpha'"), "not sorted"),
    "a newer format": (lambda p: _sql(p, "UPDATE meta SET value = 99 WHERE key = 'format'"), "newer"),
}


@pytest.mark.parametrize("case", DAMAGE)
def test_a_damaged_file_is_refused_with_its_name(saved, case):
    path, _ = saved
    damage, what = DAMAGE[case]
    damage(path)
    with pytest.raises(DamagedRunError, match=what) as caught:
        History.load(path)
    message = str(caught.value)
    assert str(path) in message and isinstance(caught.value, ValueError)
    assert message.rstrip().endswith(".") and ("again" in message or "Update" in message), "say what to do"


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(DamagedRunError, match="nothing.sqlite: does not exist"):
        History.load(tmp_path / "nothing.sqlite")


# -- CSV, for lessons -----------------------------------------------------------------


def test_csv_round_trip(saved, tmp_path):
    _, h = saved
    steps, changes = h.to_csv(tmp_path / "history.csv", tmp_path / "changes.csv")
    u = History.from_csv(steps, changes)
    assert equal(u.full(), h.full()) and u.changes == h.changes
    header = steps.read_text().splitlines()[0]
    assert header.startswith("step,episode,samples,time,loss,q_mean_0,q_mean_1,alpha")


def _csv_cut(steps, changes):
    text = steps.read_text()
    steps.write_text(text[: len(text) // 2 + 7])


def _csv_row_gone(steps, changes):
    lines = steps.read_text().splitlines(keepends=True)
    steps.write_text("".join(lines[:30] + lines[31:]))


CSV_DAMAGE = {
    "empty": (lambda s, c: s.write_text(""), "history.csv: is empty"),
    "cut mid-row": (_csv_cut, "history.csv: line \\d+ has \\d+ values"),
    "a row missing": (_csv_row_gone, "history.csv: line 31 holds step 30 where step 29 belongs"),
    "not a number": (lambda s, c: s.write_text(s.read_text().replace("0.9", "zero point nine", 1)),
                     "history.csv: line 2, column 'gamma': 'zero point nine'"),
    "a column missing": (lambda s, c: s.write_text("step,loss\n0,1.0\n"), "history.csv: is not a training history"),
    "changes unsorted": (lambda s, c: c.write_text("step,name,old,new\n9,alpha,0.5,0.4\n3,gamma,0.9,0.8\n"),
                         "changes.csv: line 3: its changes are not sorted"),
    "changes empty": (lambda s, c: c.write_text(""), "changes.csv: is empty"),
}


@pytest.mark.parametrize("case", CSV_DAMAGE)
def test_a_damaged_csv_is_refused_with_its_name(saved, tmp_path, case):
    _, h = saved
    steps, changes = h.to_csv(tmp_path / "history.csv", tmp_path / "changes.csv")
    damage, what = CSV_DAMAGE[case]
    damage(steps, changes)
    with pytest.raises(DamagedRunError, match=what):
        History.from_csv(steps, changes)


def test_nothing_is_left_in_the_temp_folder_by_a_failed_save(tmp_path):
    h = History()
    fill(h, 10)
    target = tmp_path / "no_such_dir_is_a_file"
    target.write_text("a file where a folder should be")
    with pytest.raises(OSError):
        h.save(target / "h.sqlite")
    assert os.listdir(tmp_path) == ["no_such_dir_is_a_file"]
