"""Files that are whole or absent: atomic, durable writes, and the error for a damaged run.

A reader sees the old contents or the new, never a mix, and a kill at any
moment leaves one of the two (write elsewhere, fsync, rename, fsync the folder).
Scratch folders carry their process ID, so those a killed process left are
deleted by the next one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

ADVICE = "Load an earlier save of this run, or train again and save."


class DamagedRunError(ValueError):
    """A saved run or history file that cannot be used; the message names the file and what to do."""

    def __init__(self, path, problem: str, advice: str = ADVICE):
        self.path, self.problem = Path(path), problem
        super().__init__(f"{path}: {problem}. {advice}")


def fsync_path(path) -> None:
    """Flush a file's or folder's contents to the disk (folders: the names in it)."""
    if os.name != "posix" and Path(path).is_dir():
        return  # Windows cannot open a folder; its renames are durable enough
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_durably(tmp: Path, path: Path) -> None:
    """Move the finished, fsynced tmp over path in one step, and make the rename itself durable."""
    fsync_path(tmp)
    os.replace(tmp, path)
    fsync_path(path.parent)


def write_durably(path, write) -> Path:
    """Call write(tmp) on a temp file beside path (same suffix, for writers that read it), then rename it
    over path: a reader sees the old file or the new, never a mix, and a kill leaves one of the two."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        write(tmp)
        replace_durably(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text_durably(path: Path, text: str) -> None:
    """Write text to path atomically: a reader sees the old contents or the new, never a mix."""
    write_durably(path, lambda tmp: tmp.write_text(text))


def writable_folder(folder) -> Path:
    """Create folder if needed and prove a file can be written in it (an OSError says why not)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass
    return folder


def scratch_folder(prefix: str) -> Path:
    """A new private temp folder for this process's scratch files, named prefix + PID.

    A process killed outright (SIGKILL, a crashed kernel) runs no cleanup, so
    first delete the folders of this prefix whose process is gone: scratch
    files stay bounded however often a kernel dies.
    """
    if os.name == "posix":  # elsewhere os.kill(pid, 0) would not merely test the process
        for old in Path(tempfile.gettempdir()).glob(f"{prefix}*-*"):
            pid = old.name[len(prefix):].split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))


def _alive(pid: int) -> bool:
    """Whether a process with this PID exists (one we may not signal counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
