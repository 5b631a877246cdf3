"""`python -m helpers.tooling.demo`: trains headless, writes figure + history, refuses bad arguments."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.agents.qnet import load_model
from helpers.runs import runstore
from helpers.runs.history import History
from helpers.tooling import demo

ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n"


def run_cli(*args, timeout=300):
    """Run the real command line in a fresh process (fork + exec: nothing Go-related is forked)."""
    env = dict(os.environ, QKIT_FAST="1")
    return subprocess.run([sys.executable, "-m", "helpers.tooling.demo", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_cli_writes_figure_history_and_model(tmp_path, lib):
    out = tmp_path / "demo"
    proc = run_cli("--env", "CartPole-v1", "--steps", "40", "--seed", "1", "--alpha", "0.4", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    save = runstore.latest_save(out)  # the run and its exports: one save folder, published by one rename
    assert (save / "figure.png").read_bytes()[:8] == PNG
    with open(save / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 40 and rows[-1]["step"] == "39" and float(rows[0]["alpha"]) == 0.4
    run = runstore.load_run(out, load_model)
    assert run.config["step_count"] == 40 and len(run.history) == 40 and run.path == save
    assert str(save / "figure.png") in proc.stdout and "samples/s" in proc.stdout
    assert "40/40" in proc.stderr, "tqdm's progress bar goes to stderr"


def test_main_in_process_on_random_states(tmp_path, capsys, lib):
    out = tmp_path / "random"
    assert demo.main(["--env", "random", "--steps", "25", "--gamma", "0.5", "--out", str(out)]) == 0
    save = runstore.latest_save(out)
    h = History.from_csv(save / "history.csv", save / "changes.csv")
    snap = h.snapshot()
    assert len(h) == 25 and (snap["gamma"] == 0.5).all() and snap["episode"][-1] == 0
    assert (save / "figure.png").read_bytes()[:8] == PNG
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--alpha", "1.5"], "alpha .* must be in \\[0, 1\\]; got 1.5"),
    (["--gamma", "-1"], "gamma .* must be in \\[0, 1\\]; got -1"),
    (["--epsilon", "nan"], "epsilon .* must be in \\[0, 1\\]"),
    (["--steps", "0"], "steps must be a whole number >= 1 and <= 1,000,000,000 .*; got 0"),
    (["--steps", "ten"], "steps must be a whole number"),
    (["--env", "Nope-v0"], "unknown environment 'Nope-v0'"),
    (["--env", "cartpole"], "Did you mean CartPole"),
    (["--seed", "-3"], "seed must be a whole number >= 0 .*; got -3"),
    (["--seed", str(2**64)], "seed must be a whole number >= 0 and <= 4,294,967,295 .*; got 18446744073709551616"),
    (["--batch-size", str(10**9)], "batch_size must be a whole number >= 1 and <= 65,536"),
])
def test_bad_arguments_exit_non_zero_with_a_clear_message(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        demo.main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m helpers.tooling.demo")
    assert __import__("re").search(message, err), err


def test_an_environment_the_network_cannot_drive_is_refused(capsys, lib):
    with pytest.raises(SystemExit) as exit_:
        demo.main(["--env", "Pendulum-v1", "--steps", "1"])
    assert exit_.value.code == 2 and "discrete set of actions" in capsys.readouterr().err


def test_cli_bad_argument_exits_non_zero():
    proc = run_cli("--alpha", "1.5", timeout=120)
    assert proc.returncode == 2
    assert "error: argument --alpha" in proc.stderr and "Traceback" not in proc.stderr


# -- fails fast, stops cleanly --------------------------------------------------------


@pytest.mark.parametrize("out, words", [("", "--out needs a folder name"),
                                        ("FILE", "exists and is not a folder"),
                                        ("FILE/sub", "cannot write into")])
def test_bad_out_is_refused_before_training(tmp_path, out, words):
    (tmp_path / "FILE").write_text("not a folder")
    proc = run_cli("--out", out.replace("FILE", str(tmp_path / "FILE")) if out else "", "--steps", "100000",
                   timeout=60)
    assert proc.returncode == 2 and words in proc.stderr and "Traceback" not in proc.stderr
    assert "samples/s" not in proc.stdout + proc.stderr, "it must not train first"


def test_ctrl_c_saves_the_steps_done_and_exits_130(tmp_path, lib):
    import signal
    import time

    out = tmp_path / "interrupted"
    env = dict(os.environ, QKIT_FAST="1")
    proc = subprocess.Popen([sys.executable, "-m", "helpers.tooling.demo", "--env", "random", "--steps", "1000000",
                             "--out", str(out)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 120
    err = ""
    while time.monotonic() < deadline:  # wait until tqdm shows steps being trained
        line = proc.stderr.readline()
        err += line
        if "step" in line and "/1000000" in line.replace(",", "") and " 0/" not in line:
            break
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    stdout, rest = proc.communicate(timeout=120)
    err += rest
    assert proc.returncode == 130, err[-2000:]
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if "interrupted" in ln]
    assert len(lines) == 1 and "saved the" in lines[0], err[-1000:]
    run = runstore.load_run(out, load_model)
    assert run.config["step_count"] > 0 and len(run.history) == run.config["step_count"]
    assert (run.path / "figure.png").read_bytes()[:8] == PNG


def test_a_second_ctrl_c_waits_for_the_save_and_never_says_nothing_was_saved(tmp_path, lib):
    import signal
    import time

    out = tmp_path / "twice"
    proc = subprocess.Popen([sys.executable, "-m", "helpers.tooling.demo", "--env", "random", "--steps", "1000000",
                             "--out", str(out)], cwd=ROOT, env=dict(os.environ, QKIT_FAST="1"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline, err = time.monotonic() + 120, ""
    while time.monotonic() < deadline:  # wait until tqdm shows steps being trained
        line = proc.stderr.readline()
        err += line
        if "step" in line and "/1000000" in line.replace(",", "") and " 0/" not in line:
            break
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)  # the save (model, history, figure, CSVs) is under way
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    err += rest
    assert proc.returncode == 130, err[-2000:]
    assert "nothing to save" not in err and "Traceback" not in err, err[-2000:]
    run = runstore.load_run(out, load_model)
    assert run.config["step_count"] > 0 and (run.path / "history.csv").exists()
