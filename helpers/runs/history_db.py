"""The History's files: an SQLite spool that takes every step, atomic saves, and checked loads.

One layout serves the spool and the saved file, so a save is a page copy:

    steps    one row per step: step (INTEGER PRIMARY KEY), the other FIELDS, q_mean_0 .. q_mean_{A-1}
    changes  (step, name, old, new), in the order they happened
    meta     (key, value): format, n_actions, rows, last_step

SQLite has no NaN: a NaN is stored as NULL and read back as NaN. Only the columns
that can honestly be NaN (NAN_OK) may hold NULL; anywhere else it means damage.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import weakref
from pathlib import Path

import numpy as np

from helpers.core.durable import replace_durably, scratch_folder

FORMAT = 1
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


def _close(state: dict) -> None:
    """Close the spool's connection and delete its folder (runs once: close() or garbage collection)."""
    if state.get("conn") is not None:
        state["conn"].close()
    shutil.rmtree(state["folder"], ignore_errors=True)


def _connect(path: Path) -> sqlite3.Connection:
    """A connection to a spool file: scratch data, so no fsync; but a journal, so a failed write (a full disk)
    rolls back and leaves the file whole."""
    conn = sqlite3.connect(path, check_same_thread=False)
    conn.execute("PRAGMA synchronous=OFF")
    return conn


class Spool:
    """A private SQLite file in a temp folder; not thread-safe (History guards it with a lock)."""

    def __init__(self, n_actions: int):
        self._state = {"conn": None, "folder": scratch_folder("qkit-history-")}  # also clears killed kernels'
        self._finalizer = weakref.finalize(self, _close, self._state)
        self._files = 0
        self.path = self.folder / "spool-0.sqlite"
        self.reset(n_actions)

    @property
    def conn(self) -> sqlite3.Connection:
        return self._state["conn"]

    @property
    def folder(self) -> Path:
        return self._state["folder"]

    def reset(self, n_actions: int) -> None:
        """Start over with empty tables in a new file (no free pages left for save() to copy); the old file is
        dropped only once the new one is ready, so a failure (a full disk) leaves the spool as it was."""
        self._check_folder()
        self._files += 1
        path = self.folder / f"spool-{self._files}.sqlite"
        conn = None
        try:
            conn = _connect(path)
            conn.executescript(_schema(n_actions))
        except BaseException:
            if conn is not None:
                conn.close()
            path.unlink(missing_ok=True)
            raise
        old, self._state["conn"], self.path, self.n_actions = self.conn, conn, path, n_actions
        if old is not None:
            old.close()
        for stale in self.folder.glob("spool-*.sqlite"):
            if stale != path:
                stale.unlink(missing_ok=True)
        cols = step_columns(n_actions)
        self._insert = f"INSERT INTO steps ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"

    def _check_folder(self) -> None:
        """A temp cleaner may delete the spool's folder: then copy the open file into a new one (nothing lost)."""
        if self.folder.is_dir():
            return
        lost, folder, conn = self.folder, None, None
        try:
            folder = scratch_folder("qkit-history-")
            path = folder / f"spool-{self._files}.sqlite"
            if self.conn is not None:
                conn = _connect(path)
                self.conn.backup(conn)  # the deleted file is still open: its rows are all there
                self.conn.close()
                self._state["conn"], self.path = conn, path
            self._state["folder"] = folder
        except (OSError, sqlite3.Error) as e:
            if conn is not None and self._state["conn"] is not conn:
                conn.close()
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            raise RuntimeError(f"the history's scratch folder {lost} was deleted (by a temp-file cleaner?) and a new "
                               f"one could not be made in {lost.parent} ({e}). Free some space there, or set TMPDIR "
                               "to another folder before starting Python; then save the run.") from e

    def insert(self, rows: list, changes: list) -> None:
        """Append step rows (sequences in step_columns order) and change tuples, in one transaction."""
        self._check_folder()
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
        self._check_folder()
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [
                ("format", FORMAT), ("n_actions", self.n_actions), ("rows", rows), ("last_step", rows - 1)])
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


def open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection: loading never changes the file."""
    return sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True, check_same_thread=False)
