"""Shared fixtures. Lessons run in fast mode (QKIT_FAST=1) unless set otherwise."""

import os

import pytest

os.environ.setdefault("QKIT_FAST", "1")


@pytest.fixture(scope="session")
def lib():
    """The kit's Go library, built from the current sources and loaded once."""
    from helpers.bridge import golib
    golib.build(quiet=True)
    return golib.load()
