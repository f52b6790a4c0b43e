"""Every test runs in its own working directory with its own dflow_like home."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dflow_like import config, s3_config

pytest_plugins = ["tests.fixtures.seaweedfs", "tests.fixtures.slurm"]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("DFLOW_LIKE_HOME", str(home))
    monkeypatch.chdir(work)
    config.reset()
    s3_config.reset()
    yield home
    config.reset()
    s3_config.reset()
