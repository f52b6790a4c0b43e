"""Helpers of the view tests: a run held at its first step until the test releases it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest


def poll(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Wait until ``condition()`` holds (bounded), without fixed sleeps."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def release(tmp_path: Path) -> Path:
    """The file whose creation lets the ``gate`` step finish."""
    return tmp_path / "release-gate"
