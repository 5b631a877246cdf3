"""What a save must satisfy to be loaded: its files complete, and model, arrays, history and settings agreeing.

Every check that fails raises DamagedRunError naming the file (runstore.load_run
calls these); save_run runs the same agreement checks before it writes anything.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

from helpers.core.durable import DamagedRunError
from helpers.core.knobs import NAMES, check, check_size
from helpers.runs.history import History

FORMAT = 2  # 1: saves without "kind" (Trainer and DQNAgent runs of the kit before kinds)
MODEL, ARRAYS, HISTORY, CONFIG = "model.keras", "state.npz", "history.sqlite", "config.json"
REQUIRED = ("env", "seed", "step_count", "episode", *NAMES)
MODEL_CHECKS = ("n_inputs", "n_outputs", "dense_units", "optimizer_iterations")
COUNTERS = ("step_count", "episode", "env_steps")  # whole numbers >= 0
SIZED = {"batch_size": "batch_size", "hidden": "hidden", "seed": "seed"}  # setting -> its SIZES entry
ADVICE = "Load another run, or train again and save."
MISMATCH = "The files of this save do not belong together (edited or mixed by hand). " + ADVICE


class WrongKindError(ValueError):
    """The run was saved by another kind of agent; the message says which, and how to load it."""


def checks_of(history: History, model=None, arrays: dict | None = None) -> dict:
    """What load_run compares later: history size; model sizes and optimizer steps; array shapes."""
    last = history.last()
    checks = {"history_rows": len(history), "last_step": last["step"] if last else -1}
    if model is not None:
        iterations = getattr(getattr(model, "optimizer", None), "iterations", None)
        checks.update(n_inputs=int(model.input_shape[-1]), n_outputs=int(model.output_shape[-1]),
                      dense_units=[int(layer.units) for layer in model.layers if hasattr(layer, "units")],
                      optimizer_iterations=None if iterations is None else int(iterations.numpy()))
    if arrays is not None:
        checks["arrays"] = {k: [list(np.shape(v)), np.asarray(v).dtype.str] for k, v in arrays.items()}
    return checks


def mismatches(config: dict, checks: dict, found: dict, history: History) -> list[str]:
    """Every way the settings, the recorded checks, what was found in the files and the history disagree."""
    missing = [k for k in REQUIRED if k not in config] + [k for k in checks if k not in found]
    if missing:
        return [f"the settings lack {missing}"]
    problems = [f"the {'model' if k in MODEL_CHECKS else 'state'}'s {k} is {found[k]} but was saved as {checks[k]}"
                for k in (*MODEL_CHECKS, "arrays") if k in checks and found[k] != checks[k]]
    if "dense_units" in found:
        hidden = config.get("hidden")
        hidden = hidden if isinstance(hidden, list) else [hidden] * (len(found["dense_units"]) - 1)
        if found["dense_units"][:-1] != hidden:
            problems.append(f"the settings say hidden={config.get('hidden')} but the model's hidden Dense layers "
                            f"have {found['dense_units'][:-1]} units")
        if history.n_actions != found["n_outputs"]:
            problems.append(f"the history has {history.n_actions} actions but the model {found['n_outputs']} "
                            "outputs")
    rows, last = len(history), (history.last() or {"step": -1})["step"]
    if not rows == checks["history_rows"] == config["step_count"] or last != rows - 1:
        problems.append(f"the history has {rows} steps (last {last}) but the settings say "
                        f"step_count={config['step_count']} and {checks['history_rows']} were saved")
    return problems


def read_config(path: Path) -> dict:
    """config.json as a dict with its 'format', 'kind', 'config' and 'checks' (format 1: kind inferred)."""
    if not path.is_file():
        raise DamagedRunError(path, "is missing", ADVICE)
    try:
        saved = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DamagedRunError(path, f"is not valid JSON ({e})", ADVICE) from e
    if not isinstance(saved, dict) or not isinstance(saved.get("config"), dict) or \
            not isinstance(saved.get("checks"), dict):
        raise DamagedRunError(path, "lacks its 'config' and 'checks' sections", ADVICE)
    if isinstance(saved.get("format"), bool) or not isinstance(saved.get("format"), int) or saved["format"] < 1:
        raise DamagedRunError(path, f"has no valid 'format' (a whole number >= 1; got {saved.get('format')!r})", ADVICE)
    if saved["format"] > FORMAT:
        raise DamagedRunError(path, f"was written by a newer kit (run format {saved['format']}; this kit reads up "
                                    f"to {FORMAT})", "Update the kit (git pull), then load it again.")
    model = "n_inputs" in saved["checks"]
    missing = [k for k in (*REQUIRED, *(["hidden"] if model else [])) if k not in saved["config"]] + \
              [k for k in ("history_rows", "last_step", *(MODEL_CHECKS if model else ())) if k not in saved["checks"]]
    if missing:
        raise DamagedRunError(path, f"lacks the entries {missing}", ADVICE)
    if saved.get("format") == 1 and "kind" not in saved:  # the kit before kinds saved Trainers and DQNAgents
        saved["kind"] = "DQNAgent" if "env_steps" in saved["config"] else "Trainer"
    if not isinstance(saved.get("kind"), str):
        raise DamagedRunError(path, "does not say which kind of agent saved it ('kind')", ADVICE)
    return saved


def sha256(path: Path) -> str:
    """The file's SHA-256 (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def check_hashes(save: Path, hashes: dict | None) -> None:
    """Each file of the save still has the SHA-256 recorded when it was saved (a flipped byte, an edit)."""
    for name, digest in (hashes or {}).items():
        path = save / name
        if not path.is_file():
            raise DamagedRunError(path, "is missing", ADVICE)
        if sha256(path) != digest:
            raise DamagedRunError(path, f"fails its checksum (the SHA-256 that {CONFIG} recorded when it was "
                                        "saved): a byte changed since, on the disk or by an edit", ADVICE)


def check_values(path: Path, config: dict, sizes: dict[str, str]) -> None:
    """Every saved value passes the checks a new one does (knobs.SPECS, knobs.SIZES; sizes: the agent's own)."""
    problems = []
    for name in NAMES:
        try:
            check(name, config[name])
        except ValueError as e:
            problems.append(str(e))
    for key in COUNTERS:
        v = config.get(key, 0)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            problems.append(f"{key} must be a whole number >= 0; got {v!r}")
    for key, size in {**SIZED, **sizes}.items():
        values = config.get(key)
        for v in values if isinstance(values, list) and key == "hidden" else [values]:
            if key in config and (v is not None or key != "seed"):  # a Trainer may be unseeded
                try:
                    check_size(size, v)
                except ValueError as e:
                    problems.append(f"{key}: {e}" if size != key else str(e))
    if problems:
        raise DamagedRunError(path, f"holds values the kit refuses: {'; '.join(problems)}", ADVICE)


def expect(path: Path, what: str, found, wanted) -> None:
    """A saved size that must match what the environment or agent has (e.g. the model's inputs)."""
    if found != wanted:
        raise DamagedRunError(path, f"{what} is {found}, but {wanted} here: it was saved for another environment "
                                    "or edited", ADVICE)


def check_kind(folder: Path, saved: str, wanted: str | None) -> None:
    """A run of another kind is refused with the call that loads it."""
    if wanted is not None and saved != wanted:
        raise WrongKindError(f"{folder} holds a {saved} run, not a {wanted} run: load it with "
                             f"{saved}.load({str(folder)!r}).")


def load_model_file(path: Path, load_model):
    """The model at path (read by load_model), with a message that names the file when it is missing or damaged."""
    _check_zip(path, "a complete .keras archive")
    try:
        return load_model(path)
    except Exception as e:  # Keras raises many kinds; the learner needs the file name
        raise DamagedRunError(path, f"Keras cannot load it ({type(e).__name__}: {e})", ADVICE) from e


def load_arrays(path: Path) -> dict:
    """The arrays of state.npz (no pickles), the file named if it is missing or damaged."""
    _check_zip(path, "a complete .npz archive")
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (ValueError, OSError, zipfile.BadZipFile) as e:
        raise DamagedRunError(path, f"NumPy cannot read it ({e})", ADVICE) from e


def _check_zip(path: Path, what: str) -> None:
    """path exists and is a zip archive whose every part passes its checksum."""
    if not path.is_file():
        raise DamagedRunError(path, "is missing", ADVICE)
    if path.stat().st_size == 0:
        raise DamagedRunError(path, "is empty (0 bytes): the save that wrote it was interrupted", ADVICE)
    try:
        with zipfile.ZipFile(path) as z:
            broken = z.testzip()
    except zipfile.BadZipFile as e:
        raise DamagedRunError(path, f"is not {what} ({e}): it was cut short or overwritten", ADVICE) from e
    if broken:
        raise DamagedRunError(path, f"is damaged: its part {broken!r} fails its checksum", ADVICE)
