"""The History's files: an SQLite spool that takes every step, atomic saves, and checked loads.

One layout serves the spool and the saved file, so a save is a page copy:

    steps    one row per step: step (INTEGER PRIMARY KEY), the other FIELDS, q_mean_0 .. q_mean_{A-1}
    changes  (step, name, old, new), in the order they happened
    meta     (key, value): format, n_actions, rows, last_step, checksum (SHA-256 of every step and change)

SQLite has no NaN: a NaN is stored as NULL and read back as NaN. Only the columns
that can honestly be NaN (NAN_OK) may hold NULL; anywhere else it means damage.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import weakref
from pathlib import Path

import numpy as np

from helpers.core.durable import replace_durably, scratch_folder

FORMAT = 2  # 1: no checksum
FIELDS = ("step", "episode", "samples", "time", "loss", "alpha", "gamma", "epsilon",
          "learning_rate", "episode_return")
INT_FIELDS = ("step", "episode", "samples")
NAN_OK = ("loss", "epsilon", "learning_rate", "episode_return")  # + every q_mean_*; a table has no learning rate


def step_columns(n_actions: int) -> list[str]:
    """The steps table's columns, in order: FIELDS, then q_mean_0 .. q_mean_{A-1}."""
    return [*FIELDS, *(f"q_mean_{a}" for a in range(n_actions))]


def _schema(n_actions: int) -> str:
    """CREATE statements for the three tables."""
    cols = ["step INTEGER PRIMARY KEY"] + [f"{c} {'INTEGER' if c in INT_FIELDS else 'REAL'}"
                                           for c in step_columns(n_actions)[1:]]
    return (f"CREATE TABLE steps ({', '.join(cols)});"
            "CREATE TABLE changes (step INTEGER, name TEXT, old REAL, new REAL);"
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value);")


# -- durable writes (also used by runstore) ---------------------------------------------


def _close(state: dict, folder: Path) -> None:
    """Close the spool's connection and delete its folder (runs once: close() or garbage collection)."""
    if state.get("conn") is not None:
        state["conn"].close()
    shutil.rmtree(folder, ignore_errors=True)


class Spool:
    """A private SQLite file in a temp folder; not thread-safe (History guards it with a lock)."""

    def __init__(self, n_actions: int):
        self.folder = scratch_folder("qkit-history-")  # also clears folders of killed kernels
        self.path = self.folder / "spool.sqlite"
        self._state = {"conn": None}
        self._finalizer = weakref.finalize(self, _close, self._state, self.folder)
        self.reset(n_actions)

    @property
    def conn(self) -> sqlite3.Connection:
        return self._state["conn"]

    def reset(self, n_actions: int) -> None:
        """Start over with empty tables (a fresh file: no free pages left for save() to copy)."""
        self._connect(fresh=True)
        self.n_actions = n_actions
        self.conn.executescript(_schema(n_actions))
        cols = step_columns(n_actions)
        self._insert = f"INSERT INTO steps ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"

    def _connect(self, fresh: bool) -> None:
        """(Re)open the spool file; scratch data, so no journal and no fsync."""
        if self.conn is not None:
            self.conn.close()
        if fresh:
            self.path.unlink(missing_ok=True)
        self._state["conn"] = conn = sqlite3.connect(self.path, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")

    def insert(self, rows: list, changes: list) -> None:
        """Append step rows (sequences in step_columns order) and change tuples."""
        with self.conn:
            self.conn.executemany(self._insert, rows)
            self.conn.executemany("INSERT INTO changes VALUES (?, ?, ?, ?)", changes)

    def seed_from(self, path: Path) -> None:
        """Replace the spool's contents with a (checked) saved file's."""
        self.reset(self.n_actions)
        src = open_readonly(path)
        try:
            src.backup(self.conn)
        finally:
            src.close()

    def read(self, stride: int = 1, start: int = 0) -> np.ndarray:
        """Rows start, start + stride, ... as one float64 array (steps x columns); NULL reads as NaN."""
        sql = f"SELECT {', '.join(step_columns(self.n_actions))} FROM steps WHERE step >= ?"
        sql += " AND step % ? = 0 ORDER BY step" if stride > 1 else " ORDER BY step"
        args = (start, stride) if stride > 1 else (start,)
        return np.fromiter(self.conn.execute(sql, args), dtype=np.dtype((np.float64, len(FIELDS) + self.n_actions)))

    def save_copy(self, path: Path, rows: int) -> None:
        """Write the whole spool to path as a standalone file, atomically (tmp file, fsync, rename)."""
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [
                ("format", FORMAT), ("n_actions", self.n_actions), ("rows", rows), ("last_step", rows - 1),
                ("checksum", checksum(self.conn, self.n_actions))])
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        for stale in (tmp, tmp.with_name(tmp.name + "-journal")):  # left by a killed save with our pid
            stale.unlink(missing_ok=True)
        try:
            dst = sqlite3.connect(tmp)
            try:
                dst.execute("PRAGMA journal_mode=OFF")  # no journal: the file is only used once complete
                self.conn.backup(dst)
            finally:
                dst.close()
            replace_durably(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def close(self) -> None:
        """Close the connection and delete the spool folder now."""
        self._finalizer()


def checksum(conn, n_actions: int) -> str:
    """SHA-256 of every step row (in step order, NaN and -0.0 made canonical) and every change, in order."""
    cols = step_columns(n_actions)
    block = np.fromiter(conn.execute(f"SELECT {', '.join(cols)} FROM steps ORDER BY step"),
                        dtype=np.dtype((np.float64, len(cols))))
    digest = hashlib.sha256(np.where(np.isnan(block), np.nan, block + 0.0).tobytes())
    for change in conn.execute("SELECT step, name, old, new FROM changes ORDER BY rowid"):
        digest.update(repr(change).encode())
    return digest.hexdigest()


def open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection: loading never changes the file."""
    return sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True, check_same_thread=False)
