"""A full or vanishing temp disk: the agent stays usable and the recorded history intact once space returns.

The temp folder is a small tmpfs mounted for the test (the test runs as root here)."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from helpers.agents.tabular_agent import TabularAgent


@pytest.fixture
def small_tmp(tmp_path, monkeypatch):
    """A 4 MB tmpfs as the temp folder (where History spools live)."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    assert done.returncode == 0, f"cannot mount a small tmpfs (needs root): {done.stderr}"
    monkeypatch.setattr(tempfile, "tempdir", str(mount))
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the file system of folder with a ballast file until `leave` bytes or fewer are free."""
    ballast = folder / "ballast"
    with open(ballast, "ab") as f:
        while True:
            st = os.statvfs(folder)
            free = st.f_bavail * st.f_frsize
            if free <= leave:
                break
            try:
                f.write(b"\0" * min(free - leave, 1 << 20))
                f.flush()
            except OSError:
                break
    return ballast


def check_whole(agent) -> None:
    """Every step is in the history, in order, and counters agree."""
    full = agent.history.full()
    np.testing.assert_array_equal(full["step"], np.arange(agent.step_count))
    assert len(agent.history) == agent.step_count


def test_a_full_temp_disk_leaves_the_agent_usable_and_the_history_whole(small_tmp, lib, tmp_path):
    agent = TabularAgent.create("FrozenLake-v1", seed=0, chunk=1, lib=lib)
    ballast = fill(small_tmp, leave=64 * 1024)
    agent.train(9000)  # two spool flushes of 4,096 rows fail: the steps stand, the rows wait in memory
    assert agent.status == "finished" and agent.step_count == 9000
    assert agent.history.spool_error is not None, "the disk was full"
    with pytest.raises(Exception, match="full|No space"):
        agent.save(tmp_path / "run")  # it says why; nothing is half-saved
    ballast.unlink()  # space returns
    agent.train(10)
    check_whole(agent)
    u = TabularAgent.load(agent.save(tmp_path / "run"), lib=lib)
    check_whole(u)
    assert u.step_count == 9010


def test_reset_on_a_full_disk_is_all_or_nothing(small_tmp, lib):
    agent = TabularAgent.create("FrozenLake-v1", seed=0, chunk=1, lib=lib)
    agent.train(5000)
    q = agent.q.copy()
    shutil.rmtree(agent.history.spool_path.parent)  # a temp cleaner, and then the disk fills up
    ballast = fill(small_tmp)
    try:
        agent.reset()
        done = True
    except Exception as e:  # the new spool could not be made: then nothing was reset
        assert "full" in str(e) or "No space" in str(e), e
        done = False
    ballast.unlink()
    if not done:
        assert agent.step_count == 5000 and (agent.q == q).all(), "half reset: the table was cleared"
        check_whole(agent)
        agent.reset()
    assert agent.step_count == 0 and len(agent.history) == 0 and not agent.q.any()
    agent.train(5)
    check_whole(agent)


def test_a_deleted_spool_folder_loses_nothing(lib, tmp_path):
    agent = TabularAgent.create("FrozenLake-v1", seed=0, chunk=1, lib=lib)
    agent.train(5000)
    shutil.rmtree(agent.history.spool_path.parent)  # a temp cleaner
    agent.train(5000)
    check_whole(agent)
    u = TabularAgent.load(agent.save(tmp_path / "run"), lib=lib)
    check_whole(u)
    assert u.step_count == 10_000 and agent.history.spool_path.exists()
