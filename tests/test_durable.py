"""core/durable.py's folder check: one function proves a folder can be written (the build, the demo's --out)."""

import pytest

from helpers.core.durable import writable_folder


def test_writable_folder_creates_the_folder_and_leaves_nothing_in_it(tmp_path):
    folder = writable_folder(tmp_path / "a" / "b")
    assert folder == tmp_path / "a" / "b" and folder.is_dir() and not list(folder.iterdir())


def test_a_folder_that_cannot_be_written_is_an_os_error_that_says_why(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(NotADirectoryError):  # a folder under a file: never writable, even as root
        writable_folder(blocker / "sub")
    with pytest.raises(FileExistsError):
        writable_folder(blocker)
