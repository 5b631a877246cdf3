"""History's files: save() and load() (SQLite, checked), to_csv() and from_csv() (for lessons).

A mixin of History (history.py), kept apart so each file reads as one thing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from helpers.runs.history_check import check_file
from helpers.runs.history_csv import read_changes_csv, read_steps_csv, write_csv
from helpers.runs.history_db import FIELDS

KEEP = 20_000  # rows the in-memory view holds at most


class HistoryFiles:
    """The file methods of History."""

    def save(self, path) -> Path:
        """Write every step and change to a standalone SQLite file, atomically: all of it or nothing."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db_lock:
            self._spool.save_copy(path, rows=self._flush())
        return path

    @classmethod
    def load(cls, path, keep: int = KEEP) -> HistoryFiles:
        """A History from save(path), checked first (DamagedRunError names the file and the damage)."""
        n_actions, n, changes = check_file(path)
        h = cls(n_actions=n_actions, keep=keep)
        h._spool.seed_from(Path(path))
        stride = h._stride_for(n)
        h._restore(n, h._spool.read(stride), h._spool.read(start=n - 1), changes, stride)
        return h

    def _stride_for(self, n: int) -> int:
        """The view's stride after n records: the smallest power of two that fits n rows into keep."""
        stride = 1
        while -(-n // stride) > self.keep:
            stride *= 2
        return stride

    def _restore(self, n: int, view: np.ndarray, tail: np.ndarray, changes: list, stride: int) -> None:
        """Take up a run of n steps whose rows are already in the spool."""
        self._n, self._stride, self._nv = n, stride, len(view)
        self._view = np.empty((max(self._capacity, len(view)), self._width))
        self._view[: len(view)] = view
        self._latest = tail[-1].copy() if len(tail) else None
        self._changes, self._changes_flushed = list(changes), len(changes)

    def columns(self) -> list[str]:
        """CSV header: the per-step fields, with q_mean split as q_mean_0, q_mean_1, ..."""
        return [*FIELDS[:5], *(f"q_mean_{a}" for a in range(self.n_actions)), *FIELDS[5:]]

    def to_csv(self, path, changes_path=None) -> tuple[Path, Path]:
        """Write every step to path and the changes to changes_path (default: <stem>_changes.csv)."""
        path = Path(path)
        changes_path = Path(changes_path) if changes_path else path.with_name(path.stem + "_changes.csv")
        write_csv(path, changes_path, self.columns(), self.full())
        return path, changes_path

    @classmethod
    def from_csv(cls, path, changes_path=None, keep: int = KEEP) -> HistoryFiles:
        """Read a history written by to_csv (a missing changes file means no changes); checked like load()."""
        path = Path(path)
        changes_path = Path(changes_path) if changes_path else path.with_name(path.stem + "_changes.csv")
        block, n_actions = read_steps_csv(path)
        changes = read_changes_csv(changes_path) if changes_path.exists() else []
        h = cls(n_actions=n_actions, keep=keep)
        h._spool.insert(block.tolist(), changes)
        stride = h._stride_for(len(block))
        h._restore(len(block), block[::stride], block[-1:], changes, stride)
        return h
