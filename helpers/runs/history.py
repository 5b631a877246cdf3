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

Memory stays bounded: snapshot() reads an in-memory view of at most `keep` rows,
evenly thinned over the whole run (every row while the run is short). Every row
also goes to an SQLite spool file (history_db.py): full() reads them all back,
save(path) writes them atomically, History.load(path) checks a file before using it.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import numpy as np

from helpers.core.durable import DamagedRunError
from helpers.runs.history_csv import CHANGE_FIELDS
from helpers.runs.history_db import FIELDS, INT_FIELDS, Spool
from helpers.runs.history_files import KEEP, HistoryFiles

__all__ = ["CHANGE_FIELDS", "FIELDS", "INT_FIELDS", "DamagedRunError", "History", "equal", "evenly_spaced"]

BATCH = 4096  # rows written to the spool at a time


def evenly_spaced(n: int, k: int) -> np.ndarray:
    """Indices of at most k evenly spread points out of n (the first and last included)."""
    if n <= k:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, k).astype(int))


class History(HistoryFiles):
    """Thread-safe per-step training records plus the list of hyperparameter changes."""

    def __init__(self, n_actions: int = 2, capacity: int = 1024, keep: int = KEEP):
        self.n_actions = int(n_actions)
        if self.n_actions < 1 or keep < 2:
            raise ValueError(f"n_actions must be >= 1 and keep >= 2; got {n_actions!r} and {keep!r}")
        self.keep = int(keep) + int(keep) % 2  # even: halving a full view keeps every multiple of the stride
        self._width, self._capacity = len(FIELDS) + self.n_actions, min(max(16, int(capacity)), self.keep)
        self._lock = threading.Lock()  # the view, pending rows and changes (held briefly)
        self._db_lock = threading.Lock()  # the spool; taken before _lock when both are needed
        self._spool = Spool(self.n_actions)
        self._start()

    def _start(self) -> None:
        """Empty view, pending rows and changes."""
        self._n, self._stride, self._nv = 0, 1, 0
        self._view = np.empty((self._capacity, self._width))
        self._pending, self._np = np.empty((BATCH, self._width)), 0
        self._flush_at = BATCH  # pending rows that trigger a flush (more after one failed)
        self.spool_error: BaseException | None = None  # why the last automatic flush failed (e.g. a full disk)
        self._latest = None
        self._changes: list[tuple[int, str, float, float]] = []
        self._changes_flushed = 0

    def record(self, *, step, episode, loss, q_mean, alpha, gamma, epsilon, learning_rate,
               samples=0, time=0.0, episode_return=float("nan")) -> None:
        """Append one step's figures (called by the training thread); steps count 0, 1, 2, ..."""
        q = np.asarray(q_mean, dtype=np.float64).reshape(-1)
        if q.size != self.n_actions:
            raise ValueError(f"q_mean must hold {self.n_actions} values (one per action); got {q.size}")
        row = np.empty(self._width)
        row[:10] = (step, episode, samples, time, loss, alpha, gamma, epsilon, learning_rate, episode_return)
        row[10:] = q
        with self._lock:
            if row[0] != self._n:
                raise ValueError(f"step must be {self._n}, the one after the last recorded; got {step!r}")
            if self._np == len(self._pending):  # only if a save() held up the last flush
                self._pending = np.concatenate([self._pending, np.empty_like(self._pending)])
            self._pending[self._np] = row
            self._np += 1
            self._into_view(row)
            self._latest, self._n = row, self._n + 1  # last: a reader never sees a half-written row
            full = self._np >= self._flush_at
        if full:
            self._auto_flush()

    def _auto_flush(self) -> None:
        """flush() from record(): a failed write (a full disk) only postpones it, the rows stay pending."""
        try:
            self.flush()
        except (OSError, sqlite3.Error) as e:  # full disk: "database or disk is full"; the next batch retries
            with self._lock:
                self._flush_at = self._np + BATCH
            self.spool_error = e

    def _into_view(self, row: np.ndarray) -> None:
        """Keep the row if its index is a multiple of the stride; a full view drops every other row."""
        if self._n % self._stride:
            return
        if self._nv == self.keep:
            self._view[: self.keep // 2] = self._view[: self.keep : 2]
            self._nv, self._stride = self.keep // 2, 2 * self._stride
        elif self._nv == len(self._view):
            bigger = np.empty((min(2 * self._nv, self.keep), self._width))
            bigger[: self._nv] = self._view[: self._nv]
            self._view = bigger
        self._view[self._nv] = row
        self._nv += 1

    def add_change(self, step: int, name: str, old: float, new: float) -> None:
        """Note that hyperparameter `name` went from old to new, taking effect at `step`."""
        with self._lock:
            if self._changes and step < self._changes[-1][0]:
                raise ValueError(f"changes come in step order: step {step} is before {self._changes[-1][0]}")
            self._changes.append((int(step), str(name), float(old), float(new)))

    def flush(self) -> None:
        """Write the rows and changes recorded since the last flush to the spool."""
        with self._db_lock:
            self._flush()

    def _flush(self) -> int:
        """flush() for a caller holding _db_lock; returns the number of rows now in the spool.

        Rows leave the pending block only once the spool holds them: a failed insert loses nothing."""
        with self._lock:
            k, n, done = self._np, self._n, len(self._changes)
            rows, changes = self._pending[:k].tolist(), self._changes[self._changes_flushed : done]
        self._spool.insert(rows, changes)  # one transaction: all of it, or nothing
        with self._lock:
            self._pending[: self._np - k] = self._pending[k : self._np]  # rows recorded meanwhile stay
            self._np -= k
            self._changes_flushed, self._flush_at, self.spool_error = done, BATCH, None
        return n

    def __len__(self) -> int:
        return self._n

    @property
    def changes(self) -> list[tuple[int, str, float, float]]:
        """A copy of the (step, name, old, new) list."""
        with self._lock:
            return list(self._changes)

    def snapshot(self, max_rows: int | None = None) -> dict:
        """Copies of the in-memory view as NumPy columns (q_mean is steps x actions), plus 'changes'.

        A short run comes back whole; a long one as at most `keep` evenly spaced steps (the
        first and the last included), and with max_rows as that many: a live figure then costs
        the same after an hour as after a minute. full() reads every step from disk.
        """
        with self._lock:
            block = self._view[: self._nv]
            if self._n and (self._n - 1) % self._stride:  # the latest step is not on the stride
                block = np.vstack([block, self._latest])
            if max_rows is not None and len(block) > max_rows:
                block = block[evenly_spaced(len(block), max_rows)]  # fancy indexing copies
            else:
                block = block.copy()
            changes = list(self._changes)
        return {**_columns(block, self.n_actions), "changes": changes}

    def full(self) -> dict:
        """Every step ever recorded, read back from the spool; the same columns as snapshot()."""
        with self._db_lock:
            self._flush()
            block = self._spool.read()
            with self._lock:
                changes = self._changes[: self._changes_flushed]
        return {**_columns(block, self.n_actions), "changes": changes}

    def last(self) -> dict | None:
        """The most recent step's record as plain Python values, or None before the first step."""
        with self._lock:
            row = self._latest
        if row is None:
            return None
        values = {f: int(v) if f in INT_FIELDS else float(v) for f, v in zip(FIELDS, row)}
        return {**values, "q_mean": row[10:].tolist()}

    def clear(self) -> None:
        """Forget every record and change (all or nothing: if the new spool cannot be made, nothing is lost)."""
        with self._db_lock, self._lock:
            self._spool.reset(self.n_actions)
            self._start()

    def close(self) -> None:
        """Delete the spool file now (garbage collection does it too); the History is unusable after."""
        self._spool.close()

    @property
    def spool_path(self) -> Path:
        """The private SQLite file that holds every step of this History."""
        return self._spool.path

    def __repr__(self) -> str:
        return f"<History {self._n} steps, {len(self._changes)} changes>"


def _columns(block: np.ndarray, n_actions: int) -> dict:
    """Named columns of a (steps x columns) block: whole-number fields as int64, q_mean as steps x actions."""
    cols = {f: block[:, i].astype(np.int64 if f in INT_FIELDS else np.float64) for i, f in enumerate(FIELDS)}
    return {**cols, "q_mean": block[:, len(FIELDS):].reshape(-1, n_actions).copy()}


def equal(a: dict, b: dict) -> bool:
    """True if two snapshots hold the same values (NaN equal to NaN)."""
    if set(a) != set(b) or a["changes"] != b["changes"]:
        return False
    return all(np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind == "f") for k in a if k != "changes")
