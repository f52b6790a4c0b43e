"""Nothing of the dashboard is reachable without its token; it binds this machine only by default."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.view.workflows import energy_workflow

from .conftest import Dashboard


def _status(url: str, method: str = "GET") -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)):
            return 200
    except urllib.error.HTTPError as exc:
        return exc.code


def test_every_route_needs_the_token(dashboard: Dashboard, tmp_path: Path) -> None:
    (tmp_path / "go").write_text("go")
    wf = energy_workflow(n=2, fail=(), release=str(tmp_path / "go"))
    wf.submit()
    wf.wait(timeout=120)
    gate = wf.query_step(name="gate")[0]
    paths = [
        "/", "/api/runs", f"/runs/{wf.id}", f"/api/runs/{wf.id}/view", f"/runs/{wf.id}/steps/{gate.id}",
        f"/runs/{wf.id}/steps/{gate.id}/log", f"/runs/{wf.id}/steps/{gate.id}/artifacts/data",
        f"/runs/{wf.id}/children/{gate.id}", "/no/such/page",
    ]  # fmt: skip
    for path in paths:
        assert _status(dashboard.base + path) == 403, path
        assert _status(dashboard.base + path + "?token=wrong") == 403, path
    for verb in ("terminate", "resume", "retry"):
        assert _status(f"{dashboard.base}/runs/{wf.id}/{verb}", "POST") == 403
    assert _status(dashboard.url(f"/runs/{wf.id}/steps/{gate.id}/artifacts/data")) == 200
    assert dashboard.base.startswith("http://127.0.0.1:")


@pytest.mark.parametrize("token", ["", "abc"])
def test_each_start_has_a_new_random_token(dashboard: Dashboard, token: str) -> None:
    assert len(dashboard.token) >= 24 and dashboard.token != token
