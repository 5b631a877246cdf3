"""Shared fixtures. Lessons run in fast mode (QKIT_FAST=1) unless set otherwise."""

import os

import pytest

os.environ.setdefault("QKIT_FAST", "1")


@pytest.fixture
def go_copy(tmp_path):
    """A scratch copy of the kit's Go sources, as a learner's exercise makes."""
    import shutil

    from helpers.bridge import golib

    src = tmp_path / "go"
    shutil.copytree(golib.GO_DIR, src, ignore=shutil.ignore_patterns("build", "*.so", "*.h"))
    return src


@pytest.fixture(scope="session")
def lib():
    """The kit's Go library, built from the current sources and loaded once."""
    from helpers.bridge import golib
    golib.build(quiet=True)
    return golib.load()
