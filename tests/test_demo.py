"""`python -m helpers.demo`: trains headless, writes figure + history, refuses bad arguments."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import demo
from helpers.history import History

ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n"


def run_cli(*args, timeout=300):
    """Run the real command line in a fresh process (fork + exec: nothing Go-related is forked)."""
    env = dict(os.environ, QKIT_FAST="1")
    return subprocess.run([sys.executable, "-m", "helpers.demo", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_cli_writes_figure_history_and_model(tmp_path, lib):
    out = tmp_path / "demo"
    proc = run_cli("--env", "CartPole-v1", "--steps", "40", "--seed", "1", "--alpha", "0.4", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "figure.png").read_bytes()[:8] == PNG
    with open(out / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 40 and rows[-1]["step"] == "39" and float(rows[0]["alpha"]) == 0.4
    assert (out / "model.keras").stat().st_size > 0
    assert str(out / "figure.png") in proc.stdout and "samples/s" in proc.stdout
    assert "40/40" in proc.stderr, "tqdm's progress bar goes to stderr"


def test_main_in_process_on_random_states(tmp_path, capsys, lib):
    out = tmp_path / "random"
    assert demo.main(["--env", "random", "--steps", "25", "--gamma", "0.5", "--out", str(out)]) == 0
    h = History.from_csv(out / "history.csv", out / "changes.csv")
    snap = h.snapshot()
    assert len(h) == 25 and (snap["gamma"] == 0.5).all() and snap["episode"][-1] == 0
    assert (out / "figure.png").read_bytes()[:8] == PNG
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--alpha", "1.5"], "alpha .* must be in \\[0, 1\\]; got 1.5"),
    (["--gamma", "-1"], "gamma .* must be in \\[0, 1\\]; got -1"),
    (["--epsilon", "nan"], "epsilon .* must be in \\[0, 1\\]"),
    (["--steps", "0"], "steps must be a whole number >= 1; got 0"),
    (["--steps", "ten"], "steps must be a whole number"),
    (["--env", "Nope-v0"], "unknown environment 'Nope-v0'"),
    (["--env", "cartpole"], "Did you mean CartPole"),
    (["--seed", "-3"], "seed must be a whole number >= 0"),
])
def test_bad_arguments_exit_non_zero_with_a_clear_message(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        demo.main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m helpers.demo")
    assert __import__("re").search(message, err), err


def test_an_environment_the_network_cannot_drive_is_refused(capsys, lib):
    with pytest.raises(SystemExit) as exit_:
        demo.main(["--env", "Pendulum-v1", "--steps", "1"])
    assert exit_.value.code == 2 and "discrete set of actions" in capsys.readouterr().err


def test_cli_bad_argument_exits_non_zero():
    proc = run_cli("--alpha", "1.5", timeout=120)
    assert proc.returncode == 2
    assert "error: argument --alpha" in proc.stderr and "Traceback" not in proc.stderr
