"""Waiting for something a background thread (or a browser) does, in tests."""

import time

import pytest


def wait_until(condition, timeout: float = 30.0, what: str = "condition", interval: float = 0.01):
    """Poll condition() until it returns something true, and return that; fail the test after timeout s."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
    return value
