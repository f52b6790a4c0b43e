"""A local run page's links, and its cost, whatever its plan came from."""

from __future__ import annotations

import re
import secrets
import sqlite3
from pathlib import Path

import pytest

from dflow_like.engine.local import LocalBackend
from dflow_like.view.plan import PLAN_FILE
from tests.view.workflows import energy_workflow

from .serving import Served, serve_app

pytest.importorskip("uvicorn")


def _finished(tmp_path: Path, fail: tuple[int, ...] = ()) -> str:
    (tmp_path / "go").write_text("go")
    wf = energy_workflow(n=3, fail=fail, release=str(tmp_path / "go"))
    wf.submit()
    wf.wait(timeout=120)
    return str(wf.id)


def test_a_run_without_its_saved_plan_links_each_step_to_its_page(tmp_path: Path) -> None:
    """Without ``plan.json`` the graph is drawn from the records, whose paths are record ids:
    the links must carry those ids (hashing them as plan paths led to pages that do not exist)."""
    from dflow_like.ui.app import create_app

    wf_id = _finished(tmp_path)
    (LocalBackend().workspace(wf_id).root / PLAN_FILE).unlink()
    token = secrets.token_urlsafe(16)
    for base in serve_app(create_app(token, argo=None)):
        served = Served(base, token)
        status, page = served.get(f"/runs/{wf_id}")
        assert status == 200
        links = set(re.findall(rf"href='(/runs/{wf_id}/steps/[^']+)'", page))
        assert len(links) >= 3  # gate, the nested DAG's tasks
        for link in links:
            status, step = served.get(link)
            assert status == 200 and "id='step-name'" in step, link


def test_the_items_page_counts_from_the_counters(tmp_path: Path) -> None:
    """The fan-out's page says how many items it has from the engine's counters (no count of the
    items): with the counters changed behind its back, the page shows what they say."""
    from dflow_like.ui.app import create_app
    from dflow_like.view.plan import node_id

    wf_id = _finished(tmp_path, fail=(1,))
    group = node_id(wf_id, "/energy")
    db = sqlite3.connect(LocalBackend().workspace(wf_id).db_path)
    db.execute("UPDATE child_counts SET n = n + 1000 WHERE parent_id = ? AND phase = 'Succeeded'", (group,))
    db.commit()
    db.close()
    token = secrets.token_urlsafe(16)
    for base in serve_app(create_app(token, argo=None)):
        status, page = Served(base, token).get(f"/runs/{wf_id}/children/{group}")
        assert status == 200 and "1003 all" in page  # 2 succeeded + 1 failed, + the 1000 planted
        status, page = Served(base, token).get(f"/runs/{wf_id}/children/{group}?phase=Failed")
        assert "1 Failed" in page and "energy(1:1)" in page
