"""Helpers of the view tests: a run held at its first step until the test releases it."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def release(tmp_path: Path) -> Path:
    """The file whose creation lets the ``gate`` step finish."""
    return tmp_path / "release-gate"
