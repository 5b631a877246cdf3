"""A saved History file, checked before use: every damage is a DamagedRunError that names the file.

The file is the spool's layout (history_db.py); the checks run from the cheapest
(its size and header) to the dearest (every cell of every row). A run folder also
records each file's SHA-256 (runstore), which catches a flipped byte these miss.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from helpers.core.durable import DamagedRunError
from helpers.runs.history_db import FORMAT, NAN_OK, open_readonly, step_columns


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
        conn = open_readonly(path)
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
