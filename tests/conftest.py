"""Every test runs in its own working directory with its own dflow_like home."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dflow_like import config, s3_config

pytest_plugins = ["tests.fixtures.seaweedfs", "tests.fixtures.slurm"]

TESTS = Path(__file__).resolve().parent
# Where the end-to-end tests live: they submit workflows to an engine (its own process,
# Slurm or the emulated Argo), a kernel or a browser. Everything else is a unit test of
# one layer; ``pytest -m "not e2e"`` runs only those.
E2E = (
    "engine/local/", "engine/argo/e2e/", "examples/", "reliability/", "compat/", "cli/",
    "cache/", "ui/", "view/test_watch_in_kernel.py",
    "executor/test_slurm_engine.py", "executor/test_slurm_packed.py", "storage/test_engine_s3.py",
)  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.resolve()
        if path.is_relative_to(TESTS) and path.relative_to(TESTS).as_posix().startswith(E2E):
            item.add_marker(pytest.mark.e2e)


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
