"""Saved runs that survive a kill at any moment: complete saves only, switched by one rename.

    >>> save_run("runs/cartpole", model=model, history=history, config=config)   # doctest: +SKIP
    >>> run = load_run("runs/cartpole", qnet.load_model)                           # doctest: +SKIP
    >>> run.model, run.history, run.config, run.path                               # doctest: +SKIP

A run folder looks like this:

    runs/cartpole/
        CURRENT                  one line: the name of the complete save to load
        save-000007-3fa9c2d1/    written in full (and fsynced) before CURRENT names it
            model.keras          the Keras model, optimizer state included
            history.sqlite       every step and change (History.save)
            config.json          {"format", "config": the caller's settings, "checks": sizes and counts}

save_run writes a new save folder, then replaces CURRENT atomically, then deletes
the older folders. A kill before the replace leaves CURRENT naming the previous
save; after it, the new one. Folders that CURRENT does not name are never read.
load_run checks that the files are complete and belong together; anything wrong
raises DamagedRunError naming the file. One process saves into a folder at a time.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.core.durable import DamagedRunError, fsync_path, write_text_durably
from helpers.runs.history import History
from helpers.runs.tensorboard import write_events

__all__ = ["DamagedRunError", "Run", "export_csv", "load_run", "save_run"]

FORMAT = 1
MODEL, HISTORY, CONFIG, CURRENT = "model.keras", "history.sqlite", "config.json", "CURRENT"
REQUIRED = ("env", "seed", "hidden", "batch_size", "step_count", "episode", "alpha", "gamma", "epsilon",
            "learning_rate")
CHECKS = ("history_rows", "last_step", "n_inputs", "n_outputs", "dense_units", "optimizer_iterations")
ADVICE = "Load another run, or train again and save."
MISMATCH = "The files of this save do not belong together (edited or mixed by hand). " + ADVICE


@dataclass
class Run:
    """A loaded run: the model (optimizer state included), its History, the saved settings, the save folder."""

    model: Any
    history: History
    config: dict
    path: Path


def save_run(folder, *, model, history: History, config: dict) -> Path:
    """Save model, history and config as a new complete save in folder; return the folder."""
    folder, config = Path(folder), dict(config)
    checks = _checks(model, history)
    problems = _mismatches(config, checks, checks, history)
    if problems:
        raise ValueError(f"not saving into {folder}: {'; '.join(problems)}. Pause training before saving, "
                         "and pass the model, history and settings of the same run.")
    folder.mkdir(parents=True, exist_ok=True)
    save = folder / f"save-{_next_number(folder):06d}-{secrets.token_hex(4)}"
    save.mkdir()
    model.save(save / MODEL)
    fsync_path(save / MODEL)
    history.save(save / HISTORY)
    if len(history) != checks["history_rows"]:
        shutil.rmtree(save, ignore_errors=True)
        raise ValueError(f"not saving into {folder}: the history grew while saving. Pause training first.")
    text = json.dumps({"format": FORMAT, "config": config, "checks": checks}, indent=2, default=_plain)
    write_text_durably(save / CONFIG, text + "\n")
    fsync_path(save)
    write_text_durably(folder / CURRENT, save.name + "\n")  # the moment the new save becomes the run
    _remove_all_but(folder, save.name)
    write_events(folder, history, config.get("evals"), config.get("axis", "step"))  # TensorBoard's view, beside it
    return folder


def _checks(model, history: History) -> dict:
    """What load_run compares later: history size, model sizes, optimizer steps taken."""
    last = history.last()
    optimizer = getattr(model, "optimizer", None)
    iterations = getattr(optimizer, "iterations", None)
    return {"history_rows": len(history), "last_step": last["step"] if last else -1,
            "n_inputs": int(model.input_shape[-1]), "n_outputs": int(model.output_shape[-1]),
            "dense_units": [int(layer.units) for layer in model.layers if hasattr(layer, "units")],
            "optimizer_iterations": None if iterations is None else int(iterations.numpy())}


def _mismatches(config: dict, checks: dict, found: dict, history: History) -> list[str]:
    """Every way the settings, the recorded checks, the model (found) and the history disagree."""
    missing = [k for k in REQUIRED if k not in config]
    if missing:
        return [f"the settings lack {missing}"]
    problems = [f"the model's {k} is {found[k]} but was saved as {checks[k]}"
                for k in ("n_inputs", "n_outputs", "dense_units", "optimizer_iterations") if found[k] != checks[k]]
    if any(units != config["hidden"] for units in found["dense_units"][:-1]):
        problems.append(f"the settings say hidden={config['hidden']} but the model's hidden Dense layers have "
                        f"{found['dense_units'][:-1]} units")
    if history.n_actions != found["n_outputs"]:
        problems.append(f"the history has {history.n_actions} actions but the model {found['n_outputs']} outputs")
    rows, last = len(history), (history.last() or {"step": -1})["step"]
    if not rows == checks["history_rows"] == config["step_count"] or last != rows - 1:
        problems.append(f"the history has {rows} steps (last {last}) but the settings say "
                        f"step_count={config['step_count']} and {checks['history_rows']} were saved")
    return problems


def _next_number(folder: Path) -> int:
    """One more than the highest save-<n>-* folder number in folder."""
    numbers = [int(m.group(1)) for p in folder.iterdir() if (m := re.fullmatch(r"save-(\d+)-\w+", p.name))]
    return max(numbers, default=0) + 1


def _remove_all_but(folder: Path, keep: str) -> None:
    """Delete older saves, partial saves left by a kill, and stray temp files."""
    for p in folder.iterdir():
        if p.name.startswith("save-") and p.name != keep and p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        elif p.name.startswith(f"{CURRENT}.tmp-"):
            p.unlink(missing_ok=True)


def _plain(value):
    """JSON for NumPy numbers (np.int64 and friends) in a config."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"config values must be JSON numbers, strings, lists or dicts; got {value!r}")


# -- loading ---------------------------------------------------------------------------


def load_run(folder, load_model) -> Run:
    """The save CURRENT names in folder, checked: DamagedRunError names any file that is wrong.

    load_model(path) reads a model file (agents.qnet.load_model): the run store itself knows no Keras."""
    folder = Path(folder)
    if not (folder / CURRENT).is_file():
        if (folder / "trainer.json").is_file():
            return _load_legacy(folder, load_model)
        why = "the folder does not exist" if not folder.is_dir() else f"there is no {CURRENT} file"
        raise DamagedRunError(folder, f"no saved run here ({why})", "Check the path, or save a run there first.")
    name = (folder / CURRENT).read_text(errors="replace").strip()
    save = folder / name
    if not re.fullmatch(r"save-\d+-\w+", name) or not save.is_dir():
        raise DamagedRunError(folder / CURRENT, f"names the save folder {name!r}, which is missing", ADVICE)
    config, checks = _read_config(save / CONFIG)
    model, history = _load_model(save / MODEL, load_model), History.load(save / HISTORY)
    problems = _mismatches(config, checks, _checks(model, history), history)
    if problems:
        raise DamagedRunError(save / CONFIG, f"does not match {MODEL} and {HISTORY}: {'; '.join(problems)}", MISMATCH)
    return Run(model, history, config, save)


def _read_config(path: Path) -> tuple[dict, dict]:
    """The caller's settings and the recorded checks from config.json."""
    if not path.is_file():
        raise DamagedRunError(path, "is missing", ADVICE)
    try:
        saved = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DamagedRunError(path, f"is not valid JSON ({e})", ADVICE) from e
    if not isinstance(saved, dict) or not isinstance(saved.get("config"), dict) or \
            not isinstance(saved.get("checks"), dict):
        raise DamagedRunError(path, "lacks its 'config' and 'checks' sections", ADVICE)
    missing = [k for k in REQUIRED if k not in saved["config"]] + [k for k in CHECKS if k not in saved["checks"]]
    if missing:
        raise DamagedRunError(path, f"lacks the entries {missing}", ADVICE)
    return saved["config"], saved["checks"]


def _load_model(path: Path, load_model):
    """The model at path (read by load_model), with a message that names the file when it is missing or damaged."""
    if not path.is_file():
        raise DamagedRunError(path, "is missing", ADVICE)
    if path.stat().st_size == 0:
        raise DamagedRunError(path, "is empty (0 bytes): the save that wrote it was interrupted", ADVICE)
    try:
        with zipfile.ZipFile(path) as z:
            broken = z.testzip()
    except zipfile.BadZipFile as e:
        raise DamagedRunError(path, f"is not a complete .keras archive ({e}): it was cut short or overwritten",
                              ADVICE) from e
    if broken:
        raise DamagedRunError(path, f"is damaged: its part {broken!r} fails its checksum", ADVICE)
    try:
        return load_model(path)
    except Exception as e:  # Keras raises many kinds; the learner needs the file name
        raise DamagedRunError(path, f"Keras cannot load it ({type(e).__name__}: {e})", ADVICE) from e


def _load_legacy(folder: Path, load_model) -> Run:
    """A folder saved by the kit before run folders (trainer.json, history.csv, model.keras inside)."""
    try:
        config = json.loads((folder / "trainer.json").read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DamagedRunError(folder / "trainer.json", f"is not valid JSON ({e})", ADVICE) from e
    model = _load_model(folder / MODEL, load_model)
    history = History.from_csv(folder / "history.csv", folder / "changes.csv")
    found = _checks(model, history)
    problems = _mismatches(config, {**found, "history_rows": config.get("step_count")}, found, history)
    if problems:
        raise DamagedRunError(folder / "trainer.json", f"does not match its folder: {'; '.join(problems)}", ADVICE)
    return Run(model, history, config, folder)


def export_csv(run_or_folder, out_folder, load_model=None) -> tuple[Path, Path]:
    """Write a run's history as history.csv and changes.csv into out_folder (a folder needs load_model)."""
    run = run_or_folder if isinstance(run_or_folder, Run) else load_run(run_or_folder, load_model)
    out = Path(out_folder)
    out.mkdir(parents=True, exist_ok=True)
    return run.history.to_csv(out / "history.csv", out / "changes.csv")

