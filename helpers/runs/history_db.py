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

from helpers.core.durable import DamagedRunError, replace_durably, scratch_folder

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
        src = _open_readonly(path)
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


# -- checked loads ------------------------------------------------------------------------


def _open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection: loading never changes the file."""
    return sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True, check_same_thread=False)


def _check_header(path: Path) -> None:
    """The file exists, is an SQLite database, and is as long as its header says."""
    if not path.is_file():
        raise DamagedRunError(path, "does not exist", "Check the path, or save the history there first.")
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(100)
    if size == 0:
        raise DamagedRunError(path, "is empty (0 bytes): its save was interrupted")
    if not head.startswith(b"SQLite format 3\x00"):
        raise DamagedRunError(path, f"is not an SQLite history file (it starts with {head[:16]!r})")
    if len(head) < 100:
        raise DamagedRunError(path, f"is cut short: {size} bytes, less than an SQLite header")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    if head[24:28] == head[92:96] and size < page_size * pages:
        raise DamagedRunError(path, f"is cut short: {size:,} bytes where its header promises {page_size * pages:,}")


def check_file(path) -> tuple[int, int, list]:
    """Validate a saved history; return (n_actions, rows, changes) or raise DamagedRunError."""
    path = Path(path)
    _check_header(path)
    try:
        conn = _open_readonly(path)
    except sqlite3.Error as e:
        raise DamagedRunError(path, f"cannot be opened: SQLite says '{e}'", "Check that the file is readable.") from e
    try:
        n_actions = _check_tables(path, conn)
        meta = _check_meta(path, conn, n_actions)
        rows = _check_steps(path, conn, n_actions)
        if meta["rows"] != rows or meta["last_step"] != rows - 1:
            raise DamagedRunError(path, f"its meta table says {meta['rows']} rows (last step {meta['last_step']}) "
                                        f"but the steps table holds {rows}: rows were lost or added")
        return n_actions, rows, _check_changes(path, conn)
    except sqlite3.DatabaseError as e:
        raise DamagedRunError(path, f"is damaged: SQLite says '{e}'") from e
    finally:
        conn.close()


def _check_tables(path: Path, conn) -> int:
    """Every table and column is there; return the number of q_mean columns (actions)."""
    info = {t: {r[1]: r[5] for r in conn.execute(f"PRAGMA table_info({t})")} for t in ("steps", "changes", "meta")}
    for table, cols in info.items():
        if not cols:
            raise DamagedRunError(path, f"has no '{table}' table: it is not a complete training history")
    n_actions = sum(1 for c in info["steps"] if c.startswith("q_mean_"))
    wanted = {"steps": step_columns(n_actions), "changes": ["step", "name", "old", "new"], "meta": ["key", "value"]}
    for table, cols in wanted.items():
        missing = [c for c in cols if c not in info[table]]
        if missing or (table == "steps" and not n_actions):
            raise DamagedRunError(path, f"its '{table}' table lacks the column(s) {missing or ['q_mean_0']}")
    if info["steps"]["step"] != 1:
        raise DamagedRunError(path, "its steps table is not keyed by step (the kit writes step INTEGER PRIMARY KEY)")
    return n_actions


def _check_meta(path: Path, conn, n_actions: int) -> dict:
    """The meta table holds whole numbers for format, n_actions, rows and last_step, and they fit."""
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    bad = [k for k in ("format", "n_actions", "rows", "last_step") if not isinstance(meta.get(k), int)]
    if bad:
        raise DamagedRunError(path, f"its meta table lacks whole-number entries for {bad}")
    if meta["format"] > FORMAT:
        raise DamagedRunError(path, f"was written in history format {meta['format']}, newer than this kit's "
                                    f"({FORMAT})", "Update the kit (git pull), then load it again.")
    if meta["n_actions"] != n_actions:
        raise DamagedRunError(path, f"its meta table says {meta['n_actions']} actions but the steps table has "
                                    f"{n_actions} q_mean columns")
    return meta


def _check_steps(path: Path, conn, n_actions: int) -> int:
    """Steps run 0, 1, ..., n-1 and every cell holds a number (NULL only where NaN is allowed); return n."""
    cols = step_columns(n_actions)
    found = conn.execute(f"SELECT count(*), min(step), max(step), "
                         f"{', '.join(f'max({c}), count({c})' for c in cols)} FROM steps").fetchone()
    n, first, last = found[:3]
    for c, biggest, count in zip(cols, found[3::2], found[4::2]):
        if isinstance(biggest, (str, bytes)):  # SQLite sorts text and blobs after every number
            at = conn.execute(f"SELECT step, {c} FROM steps WHERE {c} >= '' LIMIT 1").fetchone()
            raise DamagedRunError(path, f"step {at[0]} holds {at[1]!r} in column '{c}', where a number belongs")
        if count < n and c not in NAN_OK and not c.startswith("q_mean_"):
            at = conn.execute(f"SELECT step FROM steps WHERE {c} IS NULL LIMIT 1").fetchone()
            raise DamagedRunError(path, f"step {at[0]} has no value (NULL) in column '{c}', where a number belongs")
    if n and (first != 0 or last != n - 1):  # steps are unique (the key): n of them span 0..n-1 or jump
        gap = conn.execute("SELECT s.step FROM steps s WHERE s.step > 0 AND NOT EXISTS "
                           "(SELECT 1 FROM steps p WHERE p.step = s.step - 1) LIMIT 1").fetchone()
        before = conn.execute("SELECT max(step) FROM steps WHERE step < ?", gap).fetchone()[0] if gap else None
        where = f"they jump from {before} to {gap[0]}" if before is not None else f"they start at {first}, not 0"
        raise DamagedRunError(path, f"its steps are not 0, 1, ..., {n - 1}: {where} (rows are missing)")
    return n


def _check_changes(path: Path, conn) -> list[tuple[int, str, float, float]]:
    """The changes, in order: (whole-number step, name, old, new), steps never going back."""
    changes = []
    for i, (step, name, old, new) in enumerate(conn.execute("SELECT step, name, old, new FROM changes ORDER BY rowid")):
        numbers = all(v is None or isinstance(v, (int, float)) for v in (old, new))
        if not isinstance(step, int) or not isinstance(name, str) or not numbers:
            raise DamagedRunError(path, f"change #{i} is not (step, name, old, new): {(step, name, old, new)!r}")
        if changes and step < changes[-1][0]:
            raise DamagedRunError(path, f"its changes are not sorted by step: change #{i} at step {step} comes "
                                        f"after one at step {changes[-1][0]}")
        changes.append((step, name, _float(old), _float(new)))
    return changes


def _float(v) -> float:
    """A stored number as a float (NULL is how SQLite keeps NaN)."""
    return float("nan") if v is None else float(v)
