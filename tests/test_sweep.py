"""The sweep: grid checks, the spawn pool against this process, save/load, Ctrl+C, the heatmap, and every
statement lesson 06 makes about its heatmap, checked on the lesson's own sweep (same size, same seeds)."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from helpers.agents.mdp import from_gymnasium, value_iteration
from helpers.bridge.build import KIT_ROOT
from helpers.bridge.tabular import greedy_success
from helpers.core.durable import DamagedRunError
from helpers.core.knobs import HyperparamError
from helpers.sweeps import sweep as S
from helpers.sweeps import trials as T
from helpers.sweeps.figure import heatmap, summary

matplotlib.use("Agg")

# Lesson 06's sweep, exactly as the lesson runs it.
LESSON_GRID = {"alpha": [0.01, 0.03, 0.1, 0.3, 1.0], "gamma": [0.5, 0.8, 0.9, 0.95, 0.99]}
LESSON_SEEDS = range(4)
METRICS = ["success", "mean_return", "episodes_to_solve", "steps"]
SMALL = {"alpha": [0.03, 0.3], "gamma": [0.9, 0.99]}


@pytest.fixture(scope="module")
def lesson():
    """The lesson's 5 x 5 x 4 tabular sweep in the spawn pool, and its summary table."""
    df = S.sweep("tabular", LESSON_GRID, LESSON_SEEDS, progress=False)
    return df, summary(df, "success")


# --- bad input ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("grid, seeds, message", [
    ({}, [0], "the grid is empty"),
    (None, [0], "the grid is empty"),
    ({"alpha": []}, [0], "must be a non-empty list"),
    ({"alpha": 0.5}, [0], "must be a non-empty list"),
    ({"alhpa": [0.1]}, [0], "unknown hyperparameter 'alhpa'"),
    ({"seed": [1]}, [0], "seeds go in seeds="),
    ({"alpha": [0.1, 0.1]}, [0], "repeats a value"),
    ({"alpha": [0.1]}, [], "seeds must be a non-empty list"),
    ({"alpha": [0.1]}, [1, 1], "seeds repeat"),
    ({"alpha": [0.1]}, [-1], "seed must be a whole number"),
    ({"learning_rate": [0.1]}, [0], "does not use 'learning_rate'"),
])
def test_bad_grids_get_clear_errors(grid, seeds, message):
    with pytest.raises(ValueError, match=message):
        S.sweep("tabular", grid, seeds, progress=False)


def test_out_of_range_values_name_the_knob_and_the_range():
    with pytest.raises(HyperparamError, match=r"grid\['gamma'\]: gamma is the discount .* \[0, 1\]; got 1.5"):
        S.sweep("tabular", {"gamma": [0.9, 1.5]}, [0], progress=False)
    with pytest.raises(ValueError, match=r"grid\['num_episodes'\]: num_episodes must be a whole number"):
        S.sweep("tabular", {"num_episodes": [0]}, [0], progress=False)


def test_bad_trials_backends_and_settings():
    with pytest.raises(ValueError, match="unknown trial 'dqm'; registered: tabular"):
        S.sweep("dqm", SMALL, [0])
    with pytest.raises(ValueError, match="top-level function in an importable module"):
        S.sweep(lambda params, seed: {}, SMALL, [0])
    with pytest.raises(ValueError, match="backend must be"):
        S.sweep("tabular", SMALL, [0], backend="dask")
    with pytest.raises(ValueError, match="both swept"):
        S.sweep("tabular", SMALL, [0], fixed={"alpha": 0.1})
    with pytest.raises(ValueError, match=r"no setting \['episodes'\]"):
        T.tabular_trial({}, 0, episodes=10)


@pytest.mark.parametrize("setting, value, message", [
    ("checkpoints", 0, r"checkpoints is how many greedy evaluations split the budget: a whole number from 1 to "
                       r"num_episodes \(10,000\); got 0"),
    ("checkpoints", 2.0, "got 2.0"),
    ("checkpoints", 20_000, "got 20000"),
    ("max_steps", 0, r"max_steps is the step limit of one episode: .* got 0"),
])
def test_bad_trial_settings_are_named(setting, value, message):
    with pytest.raises(ValueError, match=message):
        T.tabular_trial({}, 0, **{setting: value})
    with pytest.raises(RuntimeError, match=message):
        S.sweep("tabular", {"alpha": [0.1]}, [0], fixed={setting: value}, backend="serial", progress=False)


def test_a_newer_or_unknown_format_is_refused_naming_the_file(tmp_path):
    S.save_sweep(S.sweep("tabular", {"alpha": [0.1]}, [0], backend="serial", progress=False), tmp_path)
    saved = json.loads((tmp_path / S.FILE).read_text())
    for version, message in ((S.FORMAT + 1, "was saved in format 2 by a newer kit; this kit reads format 1. Update"),
                             ("1", "is not a saved sweep"), (None, "is not a saved sweep")):
        (tmp_path / S.FILE).write_text(json.dumps({**saved, "format": version}))
        with pytest.raises(DamagedRunError, match=re.escape(f"{tmp_path / S.FILE}: {message}")):
            S.load_sweep(tmp_path)
    del saved["format"]
    (tmp_path / S.FILE).write_text(json.dumps(saved))
    with pytest.raises(DamagedRunError, match="is not a saved sweep"):
        S.load_sweep(tmp_path)


def test_a_failing_trial_stops_the_sweep_and_says_which(tmp_path):
    with pytest.raises(RuntimeError, match=r"(?s)trial 0 \(\{'alpha': 0.1\}, seed 0\) failed.*no setting"):
        S.sweep("tabular", {"alpha": [0.1]}, [0], fixed={"episodes": 5}, progress=False, save_to=tmp_path)


def test_a_string_registration_is_imported_on_use(monkeypatch):
    monkeypatch.setitem(S.TRIALS, "again", "helpers.sweeps.trials:tabular_trial")
    assert S.resolve("again") is T.tabular_trial
    monkeypatch.setitem(S.TRIALS, "missing", "helpers.learning.nowhere:trial")
    with pytest.raises(ValueError, match="cannot be imported"):
        S.resolve("missing")


# --- running, saving, loading ------------------------------------------------------------------------------------

def test_pool_equals_this_process_and_is_tidy(tmp_path):
    pooled = S.sweep("tabular", SMALL, [0, 1], workers=2, progress=False, save_to=tmp_path / "s")
    serial = S.sweep("tabular", SMALL, [0, 1], backend="serial", progress=False)
    assert list(pooled.columns) == ["trial", "alpha", "gamma", "seed", "success", "mean_return",
                                    "episodes_to_solve", "train_s", "steps"]
    assert pooled[["trial", "alpha", "gamma", "seed", *METRICS]].equals(serial[["trial", "alpha", "gamma", "seed",
                                                                                  *METRICS]])
    assert pooled.attrs["complete"] and pooled.attrs["workers"] == 2 and (pooled.train_s > 0).all()
    loaded = S.load_sweep(tmp_path / "s")
    assert loaded.drop(columns="train_s").equals(pooled.drop(columns="train_s"))
    assert np.allclose(loaded.train_s, pooled.train_s)
    assert loaded.attrs["grid"] == SMALL and loaded.attrs["seeds"] == [0, 1] and loaded.attrs["complete"]
    assert not list((tmp_path / "s").glob("*.tmp-*")), "the temp file must be renamed away"


def test_a_damaged_save_names_the_file(tmp_path):
    with pytest.raises(DamagedRunError, match="no sweep was saved here"):
        S.load_sweep(tmp_path)
    (tmp_path / S.FILE).write_text('{"columns": {"trial": [1, 2]')
    with pytest.raises(DamagedRunError, match="is not a saved sweep"):
        S.load_sweep(tmp_path)


CTRL_C = """
import sys
from helpers.sweeps.sweep import sweep
if __name__ == "__main__":
    sweep("tabular", {"alpha": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}, range(6), fixed={"num_episodes": 400_000},
          workers=2, progress=False, save_to=sys.argv[1])
    print("returned", flush=True)
"""


def test_ctrl_c_stops_the_workers_and_keeps_finished_trials(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", CTRL_C, str(tmp_path)], cwd=KIT_ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (tmp_path / S.FILE).exists():
        time.sleep(0.2)  # the first periodic save: some trials have finished
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert "Interrupted: workers stopped; kept the" in out and "returned" in out
    saved = json.loads((tmp_path / S.FILE).read_text())
    assert 0 < len(saved["columns"]["trial"]) < 36 and saved["meta"]["complete"] is False
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert not children, "the workers must be gone"


DEAD_WORKER = """
import json, sys, time
from helpers.sweeps.sweep import sweep
from sweep_victims import dying_trial
if __name__ == "__main__":
    start = time.monotonic()
    df = sweep(dying_trial, {"alpha": [0.1, 0.2]}, range(3), workers=2, progress=False,
               fixed={"folder": sys.argv[1], "victim": 1, "deaths": int(sys.argv[2])})
    print(json.dumps({"seconds": time.monotonic() - start, "trials": df.trial.tolist(), "pids": df.pid.tolist(),
                      "complete": df.attrs["complete"], "lost": df.attrs["lost"]}))
"""


@pytest.mark.parametrize("deaths", [1, 2])
def test_a_killed_worker_is_noticed_retried_once_and_reported(tmp_path, deaths):
    """Seed 1 SIGKILLs its worker mid-trial (at both alphas): once -> rerun in a fresh worker; twice -> lost."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(KIT_ROOT), str(Path(__file__).parent)])}
    try:
        done = subprocess.run([sys.executable, "-c", DEAD_WORKER, str(tmp_path), str(deaths)], cwd=KIT_ROOT,
                              env=env, capture_output=True, text=True, timeout=90)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"the sweep hung after a worker was killed:\n{e.stdout}")
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.splitlines()[-1])
    print(f"{deaths} death(s) per victim: the sweep returned in {out['seconds']:.1f} s")
    assert out["seconds"] < 30
    for index, alpha in ((1, 0.1), (4, 0.2)):  # the victims, named by parameters and seed
        assert f"Trial {index} ({{'alpha': {alpha}}}, seed 1) was lost: its worker died (SIGKILL" in done.stdout
    if deaths == 1:
        assert out["trials"] == [0, 1, 2, 3, 4, 5] and out["complete"] and out["lost"] == []
        assert len(set(out["pids"])) >= 3, "the retries ran in fresh workers"
    else:
        assert out["trials"] == [0, 2, 3, 5] and out["complete"] is False
        assert out["lost"] == [{"trial": 1, "alpha": 0.1, "seed": 1}, {"trial": 4, "alpha": 0.2, "seed": 1}]
        assert "was lost again: its worker died (SIGKILL: out of memory?)" in done.stdout
        assert "Fewer workers, or a smaller trial, need less memory." in done.stdout
    assert len(list((tmp_path / "alpha0.1-seed1").iterdir())) == min(deaths + 1, 2), "one retry, no more"


@pytest.mark.parametrize("workers, backend, message", [
    (0, "local", "workers=0 starts no process: use backend='serial'"),
    (-2, "local", "workers must be a whole number of processes from 1 to"),
    (1.5, "local", "got 1.5"),
    (True, "local", "got True"),
    ("2", "ray", "got '2'"),
    (10_000, "local", "got 10000"),
])
def test_bad_worker_counts_get_clear_errors(workers, backend, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        S.sweep("tabular", SMALL, [0], workers=workers, backend=backend, progress=False)


def test_workers_default_to_the_cores():
    assert S.check_workers(None, "local") == S.cores() and S.check_workers(3, "local") == 3


# --- the heatmap -------------------------------------------------------------------------------------------------

def test_heatmap_writes_mean_and_spread_in_every_cell():
    import pandas as pd

    df = pd.DataFrame({"alpha": [0.1, 0.1, 0.5, 0.5], "gamma": [0.9] * 4, "seed": [0, 1, 0, 1],
                       "success": [0.2, 0.4, 0.9, 0.9]})
    texts = [t.get_text() for t in heatmap(df, "success").axes[0].texts]
    assert texts == ["0.30\n±0.14", "0.90\n±0.00"]
    texts = [t.get_text() for t in heatmap(df, "success", spread="range").axes[0].texts]
    assert texts == ["0.30\n0.20–0.40", "0.90\n0.90–0.90"]
    with pytest.raises(KeyError, match="no column 'succes'"):
        heatmap(df, "succes")


# --- lesson 06: every statement about the heatmap, at the lesson's size and seeds ----------------------------------

def test_lesson_sweep_takes_seconds(lesson):
    df, _ = lesson
    assert len(df) == 100 and df.attrs["complete"]
    assert df.train_s.sum() < 30, "100 trials of 10,000 episodes should train in seconds"


def test_lesson_alpha_one_fails_at_every_gamma(lesson):
    _, t = lesson
    assert (t["mean"].loc[1.0] < 0.2).all(), t["mean"].loc[1.0]


def test_lesson_gamma_half_fails_at_every_alpha(lesson):
    _, t = lesson
    assert (t["mean"][0.5] < 0.2).all(), t["mean"][0.5]


def test_lesson_tiny_alpha_is_too_slow_for_the_budget(lesson):
    _, t = lesson
    assert (t["mean"].loc[0.01] < 0.5).all(), t["mean"].loc[0.01]


def test_lesson_more_gamma_helps_at_alpha_003(lesson):
    _, t = lesson
    row = t["mean"].loc[0.03].to_numpy()
    assert (np.diff(row) >= -0.02).all() and row[0] < 0.2 and row[-1] > 0.7, row


def test_lesson_best_cell_is_top_right_and_near_optimal(lesson, lib):
    _, t = lesson
    best = t["mean"].stack().idxmax()
    assert best[1] >= 0.95 and best[0] <= 0.1, best
    lake = from_gymnasium("FrozenLake-v1", is_slippery=True)
    optimal, _ = greedy_success(lib, lake, value_iteration(lake, 0.99), episodes=10_000)
    assert abs(t["mean"].stack().max() - optimal) <= 0.03, (t["mean"].stack().max(), optimal)


def test_lesson_seed_spread(lesson):
    _, t = lesson
    spread = t["max"] - t["min"]
    assert spread.loc[0.03, 0.99] <= 0.05, spread.loc[0.03, 0.99]
    assert spread.loc[0.3].max() > 0.4, spread.loc[0.3]


def test_lesson_notebook_uses_this_grid():
    text = (KIT_ROOT / "notebooks" / "06_sweep_alpha_and_gamma.ipynb").read_text()
    assert "[0.01, 0.03, 0.1, 0.3, 1.0]" in text and "[0.5, 0.8, 0.9, 0.95, 0.99]" in text
    assert "seeds=range(4)" in text


def test_a_dqn_sweep_runs_in_the_pool():
    """The DQN joins the same sweep: spawned workers load the parent's library and train (a short budget)."""
    df = S.sweep("dqn", {"alpha": [0.3, 1.0]}, seeds=[0], fixed={"max_steps": 512}, progress=False)
    assert list(df["alpha"]) == [0.3, 1.0] and (df["steps"] == 512).all()
    assert set(df.columns) >= {"success", "mean_return", "episodes_to_solve", "train_s", "seed"}
