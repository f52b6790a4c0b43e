"""Nothing of the dashboard is reachable without its token; it binds this machine only by default."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.view.workflows import energy_workflow

from .conftest import Dashboard


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # report the 303 itself


def _status(url: str, method: str = "GET") -> int:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)):
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
    for bad in ("..", ".hidden", "no-such-run"):  # only runs under the home, by their plain names
        assert _status(dashboard.url(f"/runs/{bad}")) == 404
        assert _status(dashboard.url(f"/runs/{bad}/terminate"), "POST") == 303  # back to a page saying why not


@pytest.mark.parametrize("token", ["", "abc"])
def test_each_start_has_a_new_random_token(dashboard: Dashboard, token: str) -> None:
    assert len(dashboard.token) >= 24 and dashboard.token != token
