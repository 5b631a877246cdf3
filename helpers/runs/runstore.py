"""Saved runs that survive a kill at any moment: complete saves only, switched by one rename.

    >>> save_run("runs/cartpole", kind="Trainer", model=model, history=history, config=config)  # doctest: +SKIP
    >>> run = load_run("runs/cartpole", qnet.load_model, kind="Trainer")                        # doctest: +SKIP
    >>> run.model, run.history, run.config, run.path                                            # doctest: +SKIP

A run folder looks like this:

    runs/cartpole/
        qkit-run.json            the marker: a kit run folder, its format and agent kind (runfolder.py)
        LOCK                     held by the process saving now (runfolder.py)
        CURRENT                  one line: the name of the complete save to load
        save-000007-3fa9c2d1/    written in full (and fsynced) before CURRENT names it
            model.keras          the Keras model, optimizer state included (or state.npz: an agent's arrays)
            history.sqlite       every step and change (History.save)
            config.json          {"format", "kind", "config": the agent's settings, "checks": sizes and counts,
                                  "sha256": each other file's SHA-256, so a flipped byte is caught}

save_run writes a new save folder, then replaces CURRENT atomically, then deletes
the older save folders (only those holding nothing but the kit's files). A folder
that is not empty and has no marker is the user's: save_run refuses it. A kill
before the replace leaves CURRENT naming the previous save; after it, the new one.
Folders that CURRENT does not name are never read. load_run checks that the
files are complete and belong together (runcheck.py); anything wrong raises
DamagedRunError naming the file. One writer at a time holds the folder's LOCK;
another gets RunInUseError.
"""

from __future__ import annotations

import json
import secrets
import shutil
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from helpers.core.durable import DamagedRunError, fsync_path, write_durably, write_text_durably
from helpers.runs import runcheck, runfolder
from helpers.runs.history import History
from helpers.runs.runcheck import ADVICE, ARRAYS, CONFIG, HISTORY, MISMATCH, MODEL, WrongKindError, expect
from helpers.runs.runfolder import CURRENT, RunInUseError
from helpers.runs.tensorboard import write_events

__all__ = ["DamagedRunError", "Run", "RunInUseError", "WrongKindError", "expect", "export_csv", "latest_save",
           "load_run", "save_run"]


@dataclass
class Run:
    """A loaded run: its model (or arrays), History, settings, save folder and the kind of agent that saved it."""

    model: Any
    history: History
    config: dict
    path: Path
    kind: str = "Trainer"
    arrays: dict = field(default_factory=dict)


def save_run(folder, *, kind: str, history: History, config: dict, model=None, arrays: dict | None = None,
             extras=None) -> Path:
    """Save a `kind` agent's model (a Keras model) or arrays (name -> NumPy array), history and config as a new
    complete save in folder; return the folder. extras(save_folder), if given, writes more files into the save
    (the demo's figure.png, history.csv, ...: runfolder.KIT_FILES names), published with it by the same rename."""
    folder, config = runfolder.check_folder_name(folder), dict(config)
    if (model is None) == (arrays is None):
        raise TypeError("save_run needs a model or arrays (one of the two)")
    arrays = None if arrays is None else {k: np.asarray(v) for k, v in arrays.items()}
    checks = runcheck.checks_of(history, model, arrays)
    problems = runcheck.mismatches(config, checks, checks, history)
    if problems:
        raise ValueError(f"not saving into {folder}: {'; '.join(problems)}. Pause training before saving, "
                         "and pass the model, history and settings of the same run.")
    runfolder.check_claim(folder, kind)  # refuses a folder that holds anything but the kit's runs
    folder.mkdir(parents=True, exist_ok=True)
    with runfolder.locked(folder):  # one writer at a time: RunInUseError names the other
        runfolder.claim(folder, kind)
        save = folder / f"save-{runfolder.next_number(folder):06d}-{secrets.token_hex(4)}"
        save.mkdir()
        if model is not None:
            model.save(save / MODEL)
            fsync_path(save / MODEL)
        else:
            write_durably(save / ARRAYS, lambda tmp: np.savez(tmp, **arrays))
        history.save(save / HISTORY)
        if len(history) != checks["history_rows"]:
            shutil.rmtree(save, ignore_errors=True)
            raise ValueError(f"not saving into {folder}: the history grew while saving. Pause training first.")
        if extras is not None:
            extras(save)
            for p in save.iterdir():
                fsync_path(p)
        hashes = {p.name: runcheck.sha256(p) for p in sorted(save.iterdir())}  # load_run checks every byte
        saved = {"format": runcheck.FORMAT, "kind": kind, "config": config, "checks": checks, "sha256": hashes}
        write_text_durably(save / CONFIG, json.dumps(saved, indent=2, default=_plain) + "\n")
        fsync_path(save)
        write_text_durably(folder / CURRENT, save.name + "\n")  # the moment the new save becomes the run
        runfolder.remove_all_but(folder, save.name)
        write_events(folder, history, config.get("evals"), config.get("axis", "step"))  # TensorBoard's view, beside it
    return folder


def _plain(value):
    """JSON for NumPy numbers (np.int64 and friends) in a config."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"config values must be JSON numbers, strings, lists or dicts; got {value!r}")


# -- loading ---------------------------------------------------------------------------


def load_run(folder, load_model=None, kind: str | None = None, sizes: dict[str, str] | None = None) -> Run:
    """The save CURRENT names in folder, checked: DamagedRunError names any file that is wrong.

    load_model(path) reads a model file (agents.qnet.load_model): the run store itself knows no Keras.
    With kind, a run saved by another kind of agent is refused (WrongKindError says how to load it). Every
    setting is checked as a new one would be (sizes: setting -> knobs.SIZES entry, beyond batch_size, hidden, seed).
    A save being read is pinned (runfolder.pinned): a writer that replaces it meanwhile leaves it for later."""
    folder = Path(folder)
    for _ in range(10):
        name = _current(folder)
        with runfolder.pinned(folder / name) if runfolder.SAVE_NAME.fullmatch(name) else nullcontext(False) as here:
            try:
                return _load_save(folder, name, load_model, kind, sizes or {})
            except WrongKindError:
                raise
            except Exception:  # damage, or a save deleted by a newer one before we pinned it
                if here or _current(folder) == name:
                    raise  # it was pinned, or nothing moved: the damage is real
    raise DamagedRunError(folder / CURRENT, "changed ten times while loading: another process saves there "
                                            "without pause", "Load it once that process has stopped.")


def latest_save(folder) -> Path:
    """The save folder CURRENT names now: its files (and the demo's exports) all belong to one save."""
    folder = Path(folder)
    name = _current(folder)
    if not runfolder.SAVE_NAME.fullmatch(name):
        raise DamagedRunError(folder / CURRENT, "names no save folder", "Check the path, or save a run there first.")
    return folder / name


def _current(folder: Path) -> str:
    """The save folder name CURRENT holds ('' if there is none)."""
    try:
        return (folder / CURRENT).read_text(errors="replace").strip()
    except (FileNotFoundError, NotADirectoryError):
        return ""


def _load_save(folder: Path, name: str, load_model, kind: str | None, sizes: dict) -> Run:
    """Load and check the save `name` of folder."""
    if not (folder / CURRENT).is_file():
        if (folder / "trainer.json").is_file():
            runcheck.check_kind(folder, "Trainer", kind)
            return _load_legacy(folder, load_model)
        why = "the folder does not exist" if not folder.is_dir() else f"there is no {CURRENT} file"
        raise DamagedRunError(folder, f"no saved run here ({why})", "Check the path, or save a run there first.")
    save = folder / name
    if not runfolder.SAVE_NAME.fullmatch(name) or not save.is_dir():
        raise DamagedRunError(folder / CURRENT, f"names the save folder {name!r}, which is missing", ADVICE)
    saved = runcheck.read_config(save / CONFIG)
    runcheck.check_kind(folder, saved["kind"], kind)
    config, checks = saved["config"], saved["checks"]
    runcheck.check_values(save / CONFIG, config, sizes)
    model = arrays = None
    if "n_inputs" in checks:
        model = runcheck.load_model_file(save / MODEL, load_model)
    else:
        arrays = runcheck.load_arrays(save / ARRAYS)
    history = History.load(save / HISTORY)
    problems = runcheck.mismatches(config, checks, runcheck.checks_of(history, model, arrays), history)
    if problems:
        files = f"{MODEL if model is not None else ARRAYS} and {HISTORY}"
        raise DamagedRunError(save / CONFIG, f"does not match {files}: {'; '.join(problems)}", MISMATCH)
    runcheck.check_hashes(save, saved.get("sha256"))  # last: the checks above say more precisely what is wrong
    return Run(model, history, config, save, saved["kind"], arrays or {})


def _load_legacy(folder: Path, load_model) -> Run:
    """A folder saved by the kit before run folders (trainer.json, history.csv, model.keras inside)."""
    try:
        config = json.loads((folder / "trainer.json").read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DamagedRunError(folder / "trainer.json", f"is not valid JSON ({e})", ADVICE) from e
    model = runcheck.load_model_file(folder / MODEL, load_model)
    history = History.from_csv(folder / "history.csv", folder / "changes.csv")
    found = runcheck.checks_of(history, model)
    problems = runcheck.mismatches(config, {**found, "history_rows": config.get("step_count")}, found, history)
    if problems:
        raise DamagedRunError(folder / "trainer.json", f"does not match its folder: {'; '.join(problems)}", ADVICE)
    return Run(model, history, config, folder)


def export_csv(run_or_folder, out_folder, load_model=None) -> tuple[Path, Path]:
    """Write a run's history as history.csv and changes.csv into out_folder (a folder needs load_model)."""
    run = run_or_folder if isinstance(run_or_folder, Run) else load_run(run_or_folder, load_model)
    out = Path(out_folder)
    out.mkdir(parents=True, exist_ok=True)
    return run.history.to_csv(out / "history.csv", out / "changes.csv")
