"""What happened during training, step by step, safe to read while it grows.

The training thread calls ``record(...)`` once per step and ``add_change(...)``
whenever a hyperparameter moves; any other thread (a dashboard, the notebook)
calls ``snapshot()`` and gets copies it can use without locks:

    >>> h = History(n_actions=2)
    >>> h.record(step=0, episode=0, samples=32, loss=0.1, q_mean=[0.2, 0.3],
    ...          alpha=0.5, gamma=0.9, epsilon=0.1, learning_rate=1e-3)
    >>> h.add_change(1, "alpha", 0.5, 0.2)
    >>> s = h.snapshot()
    >>> s["loss"], s["q_mean"].shape, s["changes"]
    (array([0.1]), (1, 2), [(1, 'alpha', 0.5, 0.2)])
"""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import numpy as np

# Per-step columns (q_mean, one column per action, comes on top).
FIELDS = ("step", "episode", "samples", "time", "loss", "alpha", "gamma", "epsilon",
          "learning_rate", "episode_return")
INT_FIELDS = ("step", "episode", "samples")
CHANGE_FIELDS = ("step", "name", "old", "new")


def evenly_spaced(n: int, k: int) -> np.ndarray:
    """Indices of at most k evenly spread points out of n (the first and last included)."""
    if n <= k:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, k).astype(int))


class History:
    """Thread-safe per-step training records plus the list of hyperparameter changes."""

    def __init__(self, n_actions: int = 2, capacity: int = 1024):
        self.n_actions = int(n_actions)
        self._lock = threading.Lock()
        self._n = 0
        self._cols = self._allocate(max(16, capacity))
        self._changes: list[tuple[int, str, float, float]] = []

    def _allocate(self, capacity: int) -> dict[str, np.ndarray]:
        cols = {f: np.zeros(capacity, dtype=np.int64 if f in INT_FIELDS else np.float64) for f in FIELDS}
        cols["q_mean"] = np.zeros((capacity, self.n_actions))
        return cols

    def _grow(self) -> None:
        bigger = self._allocate(2 * len(self._cols["step"]))
        for name, col in self._cols.items():
            bigger[name][: self._n] = col[: self._n]
        self._cols = bigger

    def record(self, *, step, episode, loss, q_mean, alpha, gamma, epsilon, learning_rate,
               samples=0, time=0.0, episode_return=float("nan")) -> None:
        """Append one step's figures (called by the training thread)."""
        values = dict(step=step, episode=episode, samples=samples, time=time, loss=loss, alpha=alpha,
                      gamma=gamma, epsilon=epsilon, learning_rate=learning_rate, episode_return=episode_return)
        with self._lock:
            if self._n == len(self._cols["step"]):
                self._grow()
            i = self._n
            for name, v in values.items():
                self._cols[name][i] = v
            self._cols["q_mean"][i] = q_mean
            self._n = i + 1  # last: a reader never sees a half-written row

    def add_change(self, step: int, name: str, old: float, new: float) -> None:
        """Note that hyperparameter `name` went from old to new, taking effect at `step`."""
        with self._lock:
            self._changes.append((int(step), str(name), float(old), float(new)))

    def __len__(self) -> int:
        return self._n

    @property
    def changes(self) -> list[tuple[int, str, float, float]]:
        """A copy of the (step, name, old, new) list."""
        with self._lock:
            return list(self._changes)

    def snapshot(self, max_rows: int | None = None) -> dict:
        """Copies of every column as NumPy arrays (q_mean is steps x actions), plus 'changes'.

        With max_rows, a long history comes back as that many evenly spaced steps (first
        and last included): a live figure then costs the same after an hour as after a minute.
        """
        with self._lock:
            if max_rows is None or self._n <= max_rows:
                snap = {name: col[: self._n].copy() for name, col in self._cols.items()}
            else:
                rows = evenly_spaced(self._n, max_rows)
                snap = {name: col[rows] for name, col in self._cols.items()}  # fancy indexing copies
            snap["changes"] = list(self._changes)
        return snap

    def last(self) -> dict | None:
        """The most recent step's record as plain Python values, or None before the first step."""
        with self._lock:
            if self._n == 0:
                return None
            i = self._n - 1
            row = {name: col[i].item() for name, col in self._cols.items() if name != "q_mean"}
            row["q_mean"] = self._cols["q_mean"][i].tolist()
        return row

    def clear(self) -> None:
        """Forget every record and change."""
        with self._lock:
            self._n = 0
            self._changes = []

    # -- files ------------------------------------------------------------------

    def columns(self) -> list[str]:
        """CSV header: the per-step fields, with q_mean split as q_mean_0, q_mean_1, ..."""
        return [*FIELDS[:5], *(f"q_mean_{a}" for a in range(self.n_actions)), *FIELDS[5:]]

    def to_csv(self, path, changes_path=None) -> tuple[Path, Path]:
        """Write the steps to path and the changes to changes_path (default: <stem>_changes.csv)."""
        path = Path(path)
        changes_path = Path(changes_path) if changes_path else path.with_name(path.stem + "_changes.csv")
        snap = self.snapshot()
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(self.columns())
            for i in range(len(snap["step"])):
                row = [_fmt(snap[name][i]) for name in FIELDS]
                w.writerow(row[:5] + [_fmt(q) for q in snap["q_mean"][i]] + row[5:])
        with open(changes_path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(CHANGE_FIELDS)
            w.writerows((s, n, repr(o), repr(v)) for s, n, o, v in snap["changes"])
        return path, changes_path

    @classmethod
    def from_csv(cls, path, changes_path=None) -> "History":
        """Read a history written by to_csv (a missing changes file means no changes)."""
        path = Path(path)
        changes_path = Path(changes_path) if changes_path else path.with_name(path.stem + "_changes.csv")
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        header, rows = rows[0], rows[1:]
        q_cols = [i for i, h in enumerate(header) if h.startswith("q_mean_")]
        missing = [f for f in FIELDS if f not in header]
        if missing or not q_cols:
            raise ValueError(f"{path} is not a training history: columns {missing or ['q_mean_*']} are missing")
        h = cls(n_actions=len(q_cols), capacity=len(rows))
        at = {name: header.index(name) for name in FIELDS}
        for r in rows:
            values = {name: (int(r[i]) if name in INT_FIELDS else float(r[i])) for name, i in at.items()}
            h.record(q_mean=[float(r[i]) for i in q_cols], **values)
        if changes_path.exists():
            with open(changes_path, newline="") as f:
                for r in list(csv.reader(f))[1:]:
                    h.add_change(int(r[0]), r[1], float(r[2]), float(r[3]))
        return h

    def __repr__(self) -> str:
        return f"<History {self._n} steps, {len(self._changes)} changes>"


def _fmt(v) -> str:
    """A number as text that reads back to the same value (repr round-trips float64)."""
    return str(int(v)) if isinstance(v, (np.integer, int)) else repr(float(v))


def equal(a: dict, b: dict) -> bool:
    """True if two snapshots hold the same values (NaN equal to NaN)."""
    if set(a) != set(b) or a["changes"] != b["changes"]:
        return False
    return all(np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f") for k in a if k != "changes")
