"""Waiting for something a background thread (or a browser) does, in tests."""

import time

import pytest


def wait_until(condition, timeout: float = 30.0, what: str = "condition", interval: float = 0.01) -> None:
    """Poll condition() until it is true; fail the test, naming `what`, after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
