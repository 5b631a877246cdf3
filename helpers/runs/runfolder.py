"""A run folder the kit owns alone: a marker file says so, and the kit deletes only what it wrote.

    runs/cartpole/
        qkit-run.json     {"what": ..., "format": 2, "kind": "Trainer"}: this folder is a kit run
        LOCK              locked (flock) by whoever saves now, and holding their PID
        CURRENT           the save to load (runstore)
        save-000007-3fa9c2d1/

A folder without the marker is the user's: the kit saves into it only if it is
empty (or does not exist yet). Inside a run folder the kit deletes only save
folders whose every file is one it writes, and its own temp files. One writer
at a time: a save holds the folder's lock; another process or thread that
tries meanwhile gets RunInUseError naming the process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; one writer per folder is then the user's care
    fcntl = None

from helpers.core.durable import DamagedRunError, write_text_durably

FORMAT = 2  # 1: the kit before markers and kinds (CURRENT + save folders, no marker)
MARKER, CURRENT, LOCK = "qkit-run.json", "CURRENT", "LOCK"
SAVE_NAME = re.compile(r"save-(\d{6,})-[0-9a-f]{8}")
KIT_FILES = {"model.keras", "history.sqlite", "config.json", "state.npz",  # a save ...
             "figure.png", "history.csv", "changes.csv", "summary.json"}  # ... and what the demo publishes with it
KIT_TEMP = re.compile(r"\.?[\w.-]+\.tmp-\d+[\w.-]*")  # durable.write_durably's and History.save's temp files
OWN = {MARKER, LOCK}  # entries that do not make a folder "not empty" (nor does a marker being written)
MARKER_TEMP = re.compile(rf"\.({CURRENT}|qkit-run)\.tmp-\d+(\.json)?")


class RunInUseError(RuntimeError):
    """Another process or thread is saving into this run folder right now."""


def check_folder_name(folder) -> Path:
    """folder as a Path; an empty name (which would mean the current folder) is refused."""
    if not str(folder).strip():
        raise ValueError("save() needs a folder name, e.g. 'runs/cartpole' (an empty name would save into the "
                         "current folder)")
    return Path(folder)


def read_marker(folder: Path) -> dict | None:
    """The marker's contents, or None if folder is not marked; a damaged marker is a DamagedRunError."""
    path = folder / MARKER
    if not path.is_file():
        return None
    try:
        marker = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DamagedRunError(path, f"is not valid JSON ({e})", "Delete this file if the folder is a kit run.") from e
    if not isinstance(marker, dict) or not isinstance(marker.get("kind"), str) or \
            not isinstance(marker.get("format"), int):
        raise DamagedRunError(path, "lacks its 'format' and 'kind' entries", "Delete it if the folder is a kit run.")
    if marker["format"] > FORMAT:
        raise DamagedRunError(path, f"was written by a newer kit (run format {marker['format']}, this kit reads up "
                                    f"to {FORMAT})", "Update the kit (git pull), then try again.")
    return marker


def kit_saves_here(folder: Path) -> bool:
    """True for a folder the kit saved into before it wrote markers (format 1: CURRENT names a save folder)."""
    try:
        name = (folder / CURRENT).read_text(errors="replace").strip()
    except OSError:
        return (folder / "trainer.json").is_file() and (folder / "model.keras").is_file()  # the very first layout
    return bool(SAVE_NAME.fullmatch(name)) and (folder / name / "config.json").is_file()


def check_claim(folder, kind: str) -> dict | None:
    """Why `kind` may not save into folder (a ValueError), else its marker (None: a new or unmarked kit folder)."""
    folder = check_folder_name(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"cannot save into {folder}: it is a file, not a folder. Choose a folder name.")
    if not folder.exists():
        return None
    marker = read_marker(folder)
    if marker is None and not kit_saves_here(folder) and \
            any(p.name not in OWN and not MARKER_TEMP.fullmatch(p.name) for p in folder.iterdir()):
        raise ValueError(f"not saving into {folder}: it is not empty and is not a run folder of the kit (it has "
                         f"no {MARKER}), so saving could mix the kit's files with yours. Save into a new or "
                         f"empty folder instead, e.g. {folder / 'run'}.")
    if marker is not None and marker["kind"] != kind:
        raise ValueError(f"not saving a {kind} into {folder}: it holds a {marker['kind']} run. Save into another "
                         "folder (or delete this one first).")
    return marker


def claim(folder: Path, kind: str) -> None:
    """Make folder a run folder of `kind`: create it, or check that it is one (or empty); refuse anything else."""
    if check_claim(folder, kind) is None:
        folder.mkdir(parents=True, exist_ok=True)
        write_text_durably(folder / MARKER, json.dumps({
            "what": "a run folder of the Q-learning kit: its save-* folders are replaced by each save; "
                    "keep your own files elsewhere", "format": FORMAT, "kind": kind}, indent=2) + "\n")


def next_number(folder: Path) -> int:
    """One more than the highest save number in folder."""
    numbers = [int(m.group(1)) for p in folder.iterdir() if (m := SAVE_NAME.fullmatch(p.name))]
    return max(numbers, default=0) + 1


def written_by_the_kit(save: Path) -> bool:
    """A save folder (or what a kill left of one) holding only files the kit writes."""
    if not SAVE_NAME.fullmatch(save.name) or save.is_symlink() or not save.is_dir():
        return False
    return all((p.name in KIT_FILES or KIT_TEMP.fullmatch(p.name)) and p.is_file() and not p.is_symlink()
               for p in save.iterdir())


def remove_all_but(folder: Path, keep: str) -> None:
    """Delete the kit's older saves (not one a reader has pinned), partial saves left by a kill, and its stray
    temp files; nothing else."""
    for p in folder.iterdir():
        if p.name != keep and written_by_the_kit(p):
            fd = os.open(p, os.O_RDONLY)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a reader's pin: leave it to the next save
                shutil.rmtree(p, ignore_errors=True)
            except BlockingIOError:
                pass
            finally:
                os.close(fd)
        elif MARKER_TEMP.fullmatch(p.name) and p.is_file():
            p.unlink(missing_ok=True)


@contextmanager
def locked(folder: Path):
    """Hold folder's exclusive lock (a writer's); a second writer, process or thread, gets RunInUseError."""
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            try:  # flock belongs to this open file, so two threads of one process exclude each other too
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                who = ("this process (another thread is saving)" if holder == str(os.getpid()) else
                       f"process {holder}" if holder.isdigit() else "another process")
                raise RunInUseError(f"{folder} is in use by {who}: it is saving a run there right now. Wait until "
                                    "that save is done, or save into another folder.") from None
            os.pwrite(fd, f"{os.getpid():<20}\n".encode(), 0)  # one fixed-width write: never read half-done
        yield
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int) -> str:
    """The PID the lock's holder wrote (it writes it just after locking: wait a moment for it)."""
    for _ in range(20):
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
        if holder.isdigit():
            return holder
        time.sleep(0.005)
    return ""


@contextmanager
def pinned(save: Path):
    """While inside, no writer deletes the save folder (a shared lock on it); yields False if it is already gone."""
    try:
        fd = os.open(save, os.O_RDONLY)
    except OSError:
        fd = None
    try:
        if fd is not None and fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_SH)  # waits while a writer deletes it, then finds it gone
        try:
            here = fd is not None and os.stat(save).st_ino == os.fstat(fd).st_ino
        except OSError:
            here = False
        yield here
    finally:
        if fd is not None:
            os.close(fd)
