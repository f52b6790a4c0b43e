"""``dflow-like cache list|clear`` and the expiry (``config["cache_max_age"]``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dflow_like.cache import max_age_seconds
from dflow_like.cache.index import LocalIndex

from .conftest import run_cached
from .test_steps import CHAIN, HELPERS


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dflow_like.cli", *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "helpers.py").write_text(HELPERS)
    (folder / "unrelated.py").write_text("X = 1\n")
    (folder / "chain.py").write_text(CHAIN)
    return folder


def test_list_shows_each_entry_and_clear_empties_the_cache(project: Path) -> None:
    first = run_cached(project, "chain")
    listing = cli("cache", "list").stdout.splitlines()
    assert listing[0].split() == ["KEY", "CREATED", "FROM"]
    assert sorted(line.split()[-1] for line in listing[1:]) == sorted(f"{first['id']}/{n}" for n in first["ran"])
    cleared = cli("cache", "clear")
    assert cleared.stdout.startswith("removed 5 cache entries from ") and cleared.stdout.rstrip().endswith("index.db")
    assert "no cache entries" in cli("cache", "list").stderr
    assert len(run_cached(project, "chain")["ran"]) == 5  # nothing left to reuse


def test_expired_entries_are_not_reused_and_clear_expired_removes_only_them(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cached(project, "chain")
    index = LocalIndex()
    rows = index.entries()
    old = rows[0]
    old.created -= 2 * 3600  # made two hours ago
    index.put(old)
    monkeypatch.setenv("DFLOW_LIKE_CACHE_MAX_AGE", "1h")
    assert cli("cache", "clear", "--expired").stdout.startswith("removed 1 cache entry")
    assert len(index.entries()) == len(rows) - 1
    assert run_cached(project, "chain")["ran"] == [old.step_name]  # only the expired one runs again


def test_max_age_reads_argo_durations_and_refuses_others() -> None:
    assert max_age_seconds("720h") == 720 * 3600 and max_age_seconds("90s") == 90 and max_age_seconds("2m") == 120
    assert max_age_seconds("") is None
    with pytest.raises(ValueError, match=r"cache_max_age.*'720h'.*got '3 days'"):
        max_age_seconds("3 days")


def test_status_shows_where_a_cached_result_came_from(project: Path) -> None:
    first = run_cached(project, "chain")
    second = run_cached(project, "chain")
    lines = cli("status", second["id"]).stdout.splitlines()
    total = next(line for line in lines if line.split()[0] == "total")
    assert total.rstrip().endswith(f"cached from {first['id']}/total")
