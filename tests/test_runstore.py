"""Run folders: complete saves only, a kill at any moment leaves a loadable run, damage is named."""

import itertools
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from helpers.agents.dqn import Settings
from helpers.agents.dqn_agent import DQNAgent
from helpers.agents.qnet import build_q_network, load_model
from helpers.agents.tabular_agent import TabularAgent
from helpers.runs.history import History, equal
from helpers.runs.runstore import DamagedRunError, Run, RunInUseError, export_csv, load_run, save_run

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def record(history: History, n: int) -> None:
    """Grow history to n steps with values that follow from the step."""
    for i in range(len(history), n):
        history.record(step=i, episode=i // 50, samples=8 * (i + 1), loss=1.0 / (i + 1), q_mean=[i, -i],
                       alpha=0.5, gamma=0.9, epsilon=0.1, learning_rate=1e-3)


def settings(history: History, **extra) -> dict:
    """A config for save_run that matches history (and the 4 -> 32 -> 2 network)."""
    config = dict(env="random", seed=0, hidden=32, batch_size=8, step_count=len(history),
                  episode=history.last()["episode"] if len(history) else 0, alpha=0.5, gamma=0.9, epsilon=0.1,
                  learning_rate=1e-3)
    return {**config, **extra}


def nudge(model, k: int = 1) -> None:
    """k optimizer steps with a fixed gradient: weights and iteration count move deterministically."""
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    for _ in range(k):
        grads = [np.full(v.shape, 1e-3, "float32") for v in model.trainable_variables]
        model.optimizer.apply_gradients(zip(grads, model.trainable_variables))


@pytest.fixture
def run(tmp_path):
    """A saved run: (folder, model, history, config)."""
    model = build_q_network(4, 2, 32, 1e-3, seed=0)
    nudge(model, 3)
    history = History(n_actions=2)
    record(history, 120)
    history.add_change(40, "alpha", 0.5, 0.25)
    config = settings(history)
    folder = save_run(tmp_path / "run", kind="Trainer", model=model, history=history, config=config)
    return folder, model, history, config


def current(folder: Path) -> Path:
    return folder / (folder / "CURRENT").read_text().strip()


def test_round_trip(run):
    folder, model, history, config = run
    loaded = load_run(folder, load_model)
    assert isinstance(loaded, Run) and loaded.path == current(folder) and loaded.config == config
    for a, b in zip(model.get_weights(), loaded.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(loaded.model.optimizer.iterations.numpy()) == 3
    assert equal(loaded.history.full(), history.full()) and loaded.history.changes == [(40, "alpha", 0.5, 0.25)]
    assert sorted(p.name for p in loaded.path.iterdir()) == ["config.json", "history.sqlite", "model.keras"]


def test_a_new_save_replaces_the_old_and_cleans_leftovers(run):
    folder, model, history, _ = run
    first = current(folder)
    (folder / "save-000099-deadbeef").mkdir()  # a save killed half-way, and its pointer's temp file
    (folder / "save-000099-deadbeef" / "model.keras").write_bytes(b"PK half")
    (folder / ".CURRENT.tmp-12345").write_text("save-000099-deadbeef\n")
    assert load_run(folder, load_model).path == first, "leftovers are never read"
    record(history, 150)
    nudge(model)
    save_run(folder, kind="Trainer", model=model, history=history, config=settings(history))
    assert sorted(p.name for p in folder.iterdir()) == ["CURRENT", "LOCK", "qkit-run.json", current(folder).name]
    assert current(folder).name.startswith("save-000100-")
    loaded = load_run(folder, load_model)
    assert len(loaded.history) == 150 and int(loaded.model.optimizer.iterations.numpy()) == 4


def test_save_run_refuses_parts_that_do_not_belong_together(tmp_path):
    model, history = build_q_network(4, 2, 32, 1e-3, seed=0), History(n_actions=2)
    record(history, 10)
    cases = [(settings(history, step_count=9), "step_count=9"), (settings(history, hidden=64), "hidden=64"),
             ({"env": "random"}, "lack")]
    for config, what in cases:
        with pytest.raises(ValueError, match=what):
            save_run(tmp_path / "bad", kind="Trainer", model=model, history=history, config=config)
    assert not (tmp_path / "bad").exists(), "nothing is written"
    with pytest.raises(ValueError, match="3 actions but the model 2 outputs"):
        three = History(n_actions=3)
        three.record(step=0, episode=0, loss=0, q_mean=[0, 0, 0], alpha=0.5, gamma=0.9, epsilon=0.1,
                     learning_rate=1e-3)
        save_run(tmp_path / "bad", kind="Trainer", model=model, history=three, config=settings(three))


def test_export_csv_for_lessons(run, tmp_path):
    folder, _, history, _ = run
    steps, changes = export_csv(folder, tmp_path / "csv", load_model)
    assert (steps.name, changes.name) == ("history.csv", "changes.csv")
    assert equal(History.from_csv(steps, changes).full(), history.full())
    assert export_csv(load_run(folder, load_model), tmp_path / "again")[0].read_text() == steps.read_text()


def test_a_folder_saved_by_the_older_kit_still_loads(run, tmp_path):
    _, model, history, config = run
    old = tmp_path / "old"
    old.mkdir()
    model.save(old / "model.keras")
    history.to_csv(old / "history.csv", old / "changes.csv")
    (old / "trainer.json").write_text(json.dumps(config))
    loaded = load_run(old, load_model)
    assert loaded.path == old and loaded.config == config and equal(loaded.history.full(), history.full())


# -- the folder is the kit's alone ---------------------------------------------------------


def test_saving_never_deletes_the_users_files(run, tmp_path, monkeypatch):
    _, model, history, config = run
    mine = tmp_path / "mine"
    (mine / "save-the-date").mkdir(parents=True)
    (mine / "save-the-date" / "photo.jpg").write_text("precious")
    with pytest.raises(ValueError, match="mine: it is not empty and is not a run folder of the kit"):
        save_run(mine, kind="Trainer", model=model, history=history, config=config)
    assert sorted(p.name for p in mine.rglob("*")) == ["photo.jpg", "save-the-date"], "nothing written or deleted"
    monkeypatch.chdir(mine)
    with pytest.raises(ValueError, match="needs a folder name"):
        save_run("", kind="Trainer", model=model, history=history, config=config)
    assert sorted(p.name for p in mine.iterdir()) == ["save-the-date"]


def test_a_run_folder_is_marked_and_only_the_kits_saves_are_deleted(run):
    folder, model, history, _ = run
    marker = json.loads((folder / "qkit-run.json").read_text())
    assert (marker["format"], marker["kind"]) == (2, "Trainer")
    old = current(folder)
    (old / "notes.txt").write_text("mine")  # the user's file inside an old save: that save is kept
    stray = folder / "save-000050-cafebabe"
    stray.mkdir()
    (stray / "photo.jpg").write_text("precious")
    (folder / "save-000051-beefcafe").mkdir()  # the kit's name, an empty folder (a kill right after mkdir): removed
    (folder / "save-later").mkdir()
    save_run(folder, kind="Trainer", model=model, history=history, config=settings(history))
    left = sorted(p.name for p in folder.iterdir())
    kept = [old.name, stray.name, "save-later"]
    assert left == sorted(["CURRENT", "LOCK", "qkit-run.json", current(folder).name, *kept])
    assert (stray / "photo.jpg").read_text() == "precious" and (old / "notes.txt").read_text() == "mine"
    with pytest.raises(ValueError, match="not saving a DQNAgent into .*: it holds a Trainer run"):
        save_run(folder, kind="DQNAgent", model=model, history=history, config=settings(history))


def test_the_demo_refuses_a_folder_of_the_users_before_training(tmp_path, capsys):
    from helpers.tooling import demo

    (tmp_path / "x" / "save-the-date").mkdir(parents=True)
    (tmp_path / "x" / "save-the-date" / "photo.jpg").write_text("precious")
    with pytest.raises(SystemExit) as exit_:
        demo.main(["--steps", "5", "--out", str(tmp_path / "x")])
    assert exit_.value.code == 2 and "is not a run folder of the kit" in capsys.readouterr().err
    assert (tmp_path / "x" / "save-the-date" / "photo.jpg").read_text() == "precious"


# -- damaged runs: each names the file ------------------------------------------------------


def _edit_config(section, **changes):
    def edit(save: Path):
        saved = json.loads((save / "config.json").read_text())
        saved[section].update(changes)
        (save / "config.json").write_text(json.dumps(saved))
    return edit


def _drop_config_key(key):
    def edit(save: Path):
        saved = json.loads((save / "config.json").read_text())
        del saved["config"][key]
        (save / "config.json").write_text(json.dumps(saved))
    return edit


def _cut(name, fraction):
    def edit(save: Path):
        data = (save / name).read_bytes()
        (save / name).write_bytes(data[: int(len(data) * fraction)])
    return edit


def _not_keras(save: Path):
    with zipfile.ZipFile(save / "model.keras", "w") as z:
        z.writestr("hello.txt", "not a model")


def _other_model(hidden):
    def edit(save: Path):
        build_q_network(4, 2, hidden, 1e-3, seed=1).save(save / "model.keras")
    return edit


def _swap_history(save: Path):
    h = History(n_actions=2)
    record(h, 50)
    h.save(save / "history.sqlite")


def _flip(name: str, value: float):
    """Flip the lowest bit of every stored copy of an 8-byte float in the file, as a failing disk would."""
    def edit(save: Path):
        data, packed = (save / name).read_bytes(), struct.pack(">d", value)
        assert packed in data
        (save / name).write_bytes(data.replace(packed, packed[:7] + bytes([packed[7] ^ 1])))
    return edit


def _sql(name: str, statement: str):
    def edit(save: Path):
        conn = sqlite3.connect(save / name)
        conn.execute(statement)
        conn.commit()
        conn.close()
    return edit


DAMAGE = {
    "model missing": (lambda s: (s / "model.keras").unlink(), "model.keras: is missing"),
    "model empty": (lambda s: (s / "model.keras").write_bytes(b""), "model.keras: is empty"),
    "model cut short": (_cut("model.keras", 0.6), "model.keras: is not a complete .keras archive"),
    "model not Keras": (_not_keras, "model.keras: Keras cannot load it"),
    "config missing": (lambda s: (s / "config.json").unlink(), "config.json: is missing"),
    "config not JSON": (lambda s: (s / "config.json").write_text('{"config": {'), "config.json: is not valid JSON"),
    "config cut to nothing": (lambda s: (s / "config.json").write_text(""), "config.json: is not valid JSON"),
    "config lacks a key": (_drop_config_key("hidden"), "config.json: lacks the entries \\['hidden'\\]"),
    "history missing": (lambda s: (s / "history.sqlite").unlink(), "history.sqlite: does not exist"),
    "history cut short": (_cut("history.sqlite", 0.5), "history.sqlite: is cut short"),
    "hidden edited": (_edit_config("config", hidden=64), "config.json: .*hidden=64 .* \\[32\\] units"),
    "step_count edited": (_edit_config("config", step_count=100), "config.json: .*120 steps .* step_count=100"),
    "iterations edited": (_edit_config("checks", optimizer_iterations=7), "config.json: .*optimizer_iterations is 3"),
    "input size edited": (_edit_config("checks", n_inputs=5), "config.json: .*n_inputs is 4 but was saved as 5"),
    "another model": (_other_model(16), "config.json: .*dense_units is \\[16, 2\\]"),
    "another history": (_swap_history, "config.json: .*50 steps"),
    "a flipped bit in the history": (_flip("history.sqlite", 1 / 43), "history.sqlite: fails its checksum"),
    "an edited history value": (_sql("history.sqlite", "UPDATE steps SET loss = 0.5 WHERE step = 42"),
                                "history.sqlite: fails its checksum"),
}


@pytest.mark.parametrize("case", DAMAGE)
def test_a_damaged_run_is_refused_with_the_file_named(run, case):
    folder, *_ = run
    damage, what = DAMAGE[case]
    damage(current(folder))
    with pytest.raises(DamagedRunError, match=what) as caught:
        load_run(folder, load_model)
    assert str(current(folder)) in str(caught.value) and isinstance(caught.value, ValueError)


def test_no_run_missing_pointer_and_pointer_to_nothing(run, tmp_path):
    folder, *_ = run
    with pytest.raises(DamagedRunError, match="nowhere: no saved run here \\(the folder does not exist\\)"):
        load_run(tmp_path / "nowhere", load_model)
    with pytest.raises(DamagedRunError, match="empty: no saved run here \\(there is no CURRENT file\\)"):
        (tmp_path / "empty").mkdir()
        load_run(tmp_path / "empty", load_model)
    shutil.rmtree(current(folder))
    with pytest.raises(DamagedRunError, match="CURRENT: names the save folder 'save-000001-.*', which is missing"):
        load_run(folder, load_model)
    (folder / "CURRENT").write_text("")
    with pytest.raises(DamagedRunError, match="CURRENT: names the save folder '', which is missing"):
        load_run(folder, load_model)


# -- SIGKILL at random moments --------------------------------------------------------------

# One child imports TensorFlow once, then forks a fresh worker per kill (a fork server,
# like multiprocessing's "forkserver"): the workers are killed, the importing is not repeated.
# Forking is safe here: no TensorFlow thread exists until a worker builds its model.
ZYGOTE = """
import os, signal, sys
sys.path.insert(0, "tests")
import test_runstore
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps killed workers
for line in sys.stdin:
    kind, folder, steps, log = line.split()
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        try:
            if kind == "Trainer":
                test_runstore.save_forever(folder, int(steps), log)
            elif kind == "demo":
                test_runstore.demo_publishes_forever(folder, log)
            else:
                test_runstore.agent_saves_forever(kind, folder, log)
        finally:
            os._exit(1)
    print(pid, flush=True)
"""


def save_forever(folder: str, steps: int, log: str) -> None:
    """The process that gets killed: grow, nudge and save the run again and again, logging each save."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)  # unbuffered: every line survives a kill
    model, history = build_q_network(4, 2, 32, 1e-3, seed=0), History(n_actions=2)
    record(history, steps)
    for saves in itertools.count(1):
        record(history, len(history) + 37)
        nudge(model)
        os.write(fd, f"saving {len(history)}\n".encode())
        save_run(folder, kind="Trainer", model=model, history=history, config=settings(history, saves=saves))
        os.write(fd, f"saved {len(history)}\n".encode())


def wait_until(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.005)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def check_after_kill(folder: Path, lines: list[list[str]], replayed: list, reference) -> bool:
    """load_run gives the last completed save, or the one being written; True if the kill was inside save_run."""
    completed = [int(n) for word, n in lines if word == "saved"]
    inside = lines[-1][0] == "saving"
    allowed = {completed[-1], int(lines[-1][1])} if inside else {completed[-1]}
    loaded = load_run(folder, load_model)
    n = loaded.config["step_count"]
    assert n in allowed, f"loaded {n} steps; the worker had saved {completed}, then {lines[-1]}"
    assert len(loaded.history) == n and loaded.history.last()["step"] == n - 1
    np.testing.assert_array_equal(loaded.history.full()["loss"], 1.0 / np.arange(1, n + 1))
    saves = loaded.config["saves"]
    assert int(loaded.model.optimizer.iterations.numpy()) == saves
    while len(replayed) <= saves:  # the weights after k nudges of the seed-0 network
        nudge(reference)
        replayed.append(reference.get_weights())
    for a, b in zip(loaded.model.get_weights(), replayed[saves]):
        np.testing.assert_array_equal(a, b, err_msg=f"model.keras is not the one of save {saves}")
    return inside


def make_agent(kind: str, lib):
    """A small, quick agent of this kind (seeded)."""
    if kind == "TabularAgent":
        return TabularAgent.create("FrozenLake-v1", is_slippery=True, seed=0, chunk=20, lib=lib)
    settings = Settings(learning_starts=32, train_freq=16, gradient_steps=2, target_sync=16, buffer_size=1_000)
    return DQNAgent(settings, lib=lib, seed=0, chunk=16)


def agent_saves_forever(kind: str, folder: str, log: str) -> None:
    """The process that gets killed: train one step and save the agent, again and again, logging each save."""
    from helpers.bridge import golib

    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    agent = make_agent(kind, golib.load())
    while True:
        agent.train(1)
        os.write(fd, f"saving {agent.step_count}\n".encode())
        agent.save(folder)
        os.write(fd, f"saved {agent.step_count}\n".encode())


def check_agent_after_kill(kind: str, lib, folder: Path, lines: list[list[str]]) -> bool:
    """The agent loads with the steps of the last completed save, or of the one being written."""
    completed = [int(n) for word, n in lines if word == "saved"]
    inside = lines[-1][0] == "saving"
    allowed = {completed[-1], int(lines[-1][1])} if inside else {completed[-1]}
    agent = {"DQNAgent": DQNAgent, "TabularAgent": TabularAgent}[kind].load(folder, lib=lib)
    assert agent.step_count in allowed, f"loaded {agent.step_count} steps; the worker saved {completed}, {lines[-1]}"
    assert len(agent.history) == agent.step_count and agent.history.last()["step"] == agent.step_count - 1
    return inside


@pytest.mark.parametrize("kind", ["Trainer", "DQNAgent", "TabularAgent"])
def test_a_kill_at_any_moment_leaves_a_complete_run(tmp_path, kind, request):
    lib = request.getfixturevalue("lib") if kind != "Trainer" else None  # built before the workers load it
    folder, spools = tmp_path / "run", tmp_path / "spools"
    spools.mkdir()  # killed workers cannot delete their History spools: keep them in tmp_path
    rng, reference = random.Random(0), build_q_network(4, 2, 32, 1e-3, seed=0)
    replayed = [reference.get_weights()]
    with open(tmp_path / "zygote.err", "w") as err:
        zygote = subprocess.Popen([PYTHON, "-c", ZYGOTE], cwd=ROOT, env=dict(os.environ, TMPDIR=str(spools)),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True)
    kills = inside = pid = 0
    try:
        while kills < 20 or (inside < 10 and kills < 40):
            log = tmp_path / f"worker-{kills}.log"
            zygote.stdin.write(f"{kind} {folder} {1000 * (kills + 1)} {log}\n")
            zygote.stdin.flush()
            line = zygote.stdout.readline()
            assert line, f"the fork server died: {(tmp_path / 'zygote.err').read_text()[-3000:]}"
            pid = int(line)
            wait_until(lambda log=log: log.exists() and "saved" in log.read_text(), "a first complete save")
            if kills % 2:  # every other kill aims at a save: soon after the worker says it starts one
                started = log.read_text().count("saving")
                wait_until(lambda log=log, n=started: log.read_text().count("saving") > n, "the next save")
                time.sleep(rng.uniform(0.0, 0.05))
            else:  # the others at any moment
                time.sleep(rng.uniform(0.0, 0.3))
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda pid=pid: not alive(pid), "the killed worker to be gone", timeout=10)
            kills += 1
            lines = [w.split() for w in log.read_text().splitlines()]
            inside += check_after_kill(folder, lines, replayed, reference) if kind == "Trainer" else \
                check_agent_after_kill(kind, lib, folder, lines)
    finally:
        if pid and alive(pid):
            os.kill(pid, signal.SIGKILL)
        zygote.stdin.close()
        try:
            zygote.wait(30)
        except subprocess.TimeoutExpired:  # a loaded machine: its exit may lag; it has served its purpose
            zygote.kill()
            zygote.wait()
    print(f"{kind}: {kills} kills, {inside} inside a save")
    assert inside >= 10, f"only {inside} of {kills} kills landed inside a save"


# -- one writer at a time; readers never see a false damage ---------------------------------


def save_for(folder: str, seconds: float) -> None:
    """A writer process: once told to go, save again and again for `seconds`; print how many saves went in and
    how many were refused."""
    model, history = build_q_network(4, 2, 32, 1e-3, seed=0), History(n_actions=2)
    done = busy = 0
    print("ready", flush=True)
    sys.stdin.readline()
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        record(history, len(history) + 37)
        nudge(model)
        try:
            save_run(folder, kind="Trainer", model=model, history=history, config=settings(history))
            done += 1
        except RunInUseError as e:
            assert f"in use by process {os.getppid()}" not in str(e), "the other writer is a sibling, not the parent"
            assert "in use by process " in str(e) and "Wait until that save is done" in str(e), str(e)
            busy += 1
    print(done, busy, flush=True)


def test_two_writer_processes_and_a_reader_share_a_run_folder(tmp_path):
    folder, seconds = tmp_path / "shared", 12.0
    code = f"import sys; sys.path.insert(0, 'tests'); import test_runstore as t; t.save_for({str(folder)!r}, {seconds})"
    writers = [subprocess.Popen([PYTHON, "-c", code], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=dict(os.environ, TMPDIR=str(tmp_path)))
               for _ in range(2)]
    loads = 0
    try:
        for w in writers:  # both have imported TensorFlow and built their model: start them together
            assert w.stdout.readline() == "ready\n", w.stderr.read()[-3000:]
        for w in writers:
            w.stdin.write("go\n")
            w.stdin.flush()
        wait_until(lambda: (folder / "CURRENT").exists(), "a first save", timeout=90)
        while any(w.poll() is None for w in writers):
            run = load_run(folder, load_model)  # never a DamagedRunError while the writers replace saves
            assert len(run.history) == run.config["step_count"]
            loads += 1
    finally:
        results = [w.communicate(timeout=180) for w in writers]
    for w, (_, err) in zip(writers, results):
        assert w.returncode == 0, err[-3000:]
    (done_a, busy_a), (done_b, busy_b) = [map(int, out.split()) for out, _ in results]
    print(f"saves {done_a} + {done_b}, refused {busy_a} + {busy_b}, loads {loads}")
    assert done_a and done_b and busy_a + busy_b, "both wrote, and they met at least once"
    assert loads >= 5
    assert load_run(folder, load_model).path.name == (folder / "CURRENT").read_text().strip()


def test_two_threads_saving_into_one_folder(run):
    folder, model, history, config = run
    outcomes, stop = [], time.monotonic() + 6

    def saver():
        while time.monotonic() < stop:
            try:
                save_run(folder, kind="Trainer", model=model, history=history, config=config)
                outcomes.append("saved")
            except RunInUseError as e:
                assert "in use by this process (another thread is saving)" in str(e)
                outcomes.append("busy")
            except BaseException as e:  # anything else fails the test below
                outcomes.append(repr(e))

    threads = [threading.Thread(target=saver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(outcomes) == {"saved", "busy"}, [o for o in outcomes if o not in ("saved", "busy")][:3]
    assert len(load_run(folder, load_model).history) == len(history)


# -- the headless demo's files: one run's set, or the previous one's -----------------------------


def demo_publishes_forever(folder: str, log: str) -> None:
    """The process that gets killed: train a little more and publish the demo's files, again and again."""
    from helpers.agents.trainer import Trainer
    from helpers.bridge import golib
    from helpers.tooling import demo

    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    t = Trainer.create(env="random", batch_size=8, seed=0, lib=golib.load())
    while True:
        t.train(3)
        os.write(fd, f"saving {t.step_count}\n".encode())
        demo._write(t, Path(folder), "random")
        os.write(fd, f"saved {t.step_count}\n".encode())


def check_demo_after_kill(folder: Path, lines: list[list[str]]) -> bool:
    """The run, figure, CSVs all belong to the save CURRENT names; nothing of the kit's is left outside it."""
    completed = [int(n) for word, n in lines if word == "saved"]
    inside = lines[-1][0] == "saving"
    allowed = {completed[-1], int(lines[-1][1])} if inside else {completed[-1]}
    run = load_run(folder, load_model, kind="Trainer")
    n = run.config["step_count"]
    assert n in allowed, f"loaded {n} steps; the worker had saved {completed}, then {lines[-1]}"
    steps = History.from_csv(run.path / "history.csv", run.path / "changes.csv")
    assert len(steps) == n, f"history.csv has {len(steps)} steps, the run {n}: files of two runs mixed"
    png = (run.path / "figure.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png.endswith(b"IEND\xaeB`\x82"), "a whole figure"
    assert sorted(p.name for p in run.path.iterdir()) == \
        ["changes.csv", "config.json", "figure.png", "history.csv", "history.sqlite", "model.keras"]
    outside = [p.name for p in folder.iterdir() if not p.name.startswith("save-")]
    assert all(p in ("CURRENT", "LOCK", "qkit-run.json") or re.fullmatch(r"\.(CURRENT|qkit-run)\.tmp-\d+(\.json)?", p)
               for p in outside), outside  # beside the saves: the pointer, the marker, one being written at most
    return inside


def test_a_kill_while_the_demo_publishes_leaves_one_runs_files(tmp_path, lib):
    folder, spools = tmp_path / "demo", tmp_path / "spools"
    spools.mkdir()
    rng = random.Random(1)
    with open(tmp_path / "zygote.err", "w") as err:
        zygote = subprocess.Popen([PYTHON, "-c", ZYGOTE], cwd=ROOT, env=dict(os.environ, TMPDIR=str(spools)),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True)
    kills = inside = pid = 0
    try:
        while kills < 20 or (inside < 10 and kills < 40):
            log = tmp_path / f"worker-{kills}.log"
            zygote.stdin.write(f"demo {folder} 0 {log}\n")
            zygote.stdin.flush()
            line = zygote.stdout.readline()
            assert line, f"the fork server died: {(tmp_path / 'zygote.err').read_text()[-3000:]}"
            pid = int(line)
            wait_until(lambda log=log: log.exists() and "saved" in log.read_text(), "a first complete save")
            time.sleep(rng.uniform(0.0, 0.5))
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda pid=pid: not alive(pid), "the killed worker to be gone", timeout=10)
            kills += 1
            inside += check_demo_after_kill(folder, [w.split() for w in log.read_text().splitlines()])
    finally:
        if pid and alive(pid):
            os.kill(pid, signal.SIGKILL)
        zygote.stdin.close()
        try:
            zygote.wait(30)
        except subprocess.TimeoutExpired:
            zygote.kill()
            zygote.wait()
    print(f"demo: {kills} kills, {inside} inside a publish")
    assert inside >= 10, f"only {inside} of {kills} kills landed inside a publish"
