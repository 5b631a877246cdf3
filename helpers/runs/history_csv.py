"""CSV export of a History, for lessons: history.csv (one row per step) and changes.csv.

The SQLite file (history_db.py) is what runs are saved in; CSV is for reading with
pandas or a spreadsheet. Reading one back checks it as strictly as a saved run.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from helpers.core.durable import DamagedRunError
from helpers.runs.history_db import FIELDS

CHANGE_FIELDS = ("step", "name", "old", "new")
CSV_ADVICE = "Export it again from a saved run (runstore.export_csv), or train again."


def write_csv(path: Path, changes_path: Path, header: list[str], data: dict) -> None:
    """Write a History's full() columns under header (q_mean split per action), and its changes."""
    q = [data["q_mean"][:, a] for a in range(data["q_mean"].shape[1])]
    cols = [data[f] for f in FIELDS[:5]] + q + [data[f] for f in FIELDS[5:]]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(zip(*(c.tolist() for c in cols)))  # str(float) round-trips float64
    with open(changes_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CHANGE_FIELDS)
        w.writerows((s, n, repr(o), repr(v)) for s, n, o, v in data["changes"])


def _read_csv(path: Path, what: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV file; an empty file or a cut-short row is a DamagedRunError."""
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    if not rows:
        raise DamagedRunError(path, f"is empty: a {what} file starts with a header line", CSV_ADVICE)
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(rows[0]):
            raise DamagedRunError(path, f"line {i} has {len(r)} values but the header has {len(rows[0])}: "
                                        "the file was cut short or edited", CSV_ADVICE)
    return rows[0], rows[1:]


def read_steps_csv(path: Path) -> tuple[np.ndarray, int]:
    """The steps of a to_csv file as a (steps x columns) block in spool order, and the number of actions."""
    header, rows = _read_csv(path, "training history")
    q_cols = [i for i, h in enumerate(header) if h.startswith("q_mean_")]
    missing = [f for f in FIELDS if f not in header] or ([] if q_cols else ["q_mean_*"])
    if missing:
        raise DamagedRunError(path, f"is not a training history: columns {missing} are missing", CSV_ADVICE)
    try:
        block = np.array(rows, dtype=np.float64).reshape(len(rows), len(header))
    except ValueError:
        i, r = next((i, r) for i, r in enumerate(rows, start=2) if not all(map(_is_number, r)))
        bad = next(j for j, v in enumerate(r) if not _is_number(v))
        raise DamagedRunError(path, f"line {i}, column '{header[bad]}': {r[bad]!r} is not a number",
                              CSV_ADVICE) from None
    block = block[:, [header.index(f) for f in FIELDS] + q_cols]
    jumps = np.flatnonzero(block[:, 0] != np.arange(len(block)))
    if len(jumps):
        i = jumps[0]
        raise DamagedRunError(path, f"line {i + 2} holds step {block[i, 0]:g} where step {i} belongs: "
                                    "rows are missing or out of order", CSV_ADVICE)
    return block, len(q_cols)


def read_changes_csv(path: Path) -> list[tuple[int, str, float, float]]:
    """The (step, name, old, new) rows of a changes file, checked for numbers and step order."""
    changes = []
    for i, r in enumerate(_read_csv(path, "changes")[1], start=2):
        if len(r) != 4 or not all(_is_number(v) for v in (r[0], r[2], r[3])) or float(r[0]) != int(float(r[0])):
            raise DamagedRunError(path, f"line {i} is not step,name,old,new: {r!r}", CSV_ADVICE)
        if changes and int(float(r[0])) < changes[-1][0]:
            raise DamagedRunError(path, f"line {i}: its changes are not sorted by step", CSV_ADVICE)
        changes.append((int(float(r[0])), r[1], float(r[2]), float(r[3])))
    return changes


def _is_number(text: str) -> bool:
    """True if text reads as a float ('nan' included)."""
    try:
        float(text)
    except ValueError:
        return False
    return True
