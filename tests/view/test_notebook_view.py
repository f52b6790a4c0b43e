"""The notebook view: the plan before submit, the graph while it runs and after, progress, failures."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from dflow_like import Workflow
from dflow_like.view.plan import iter_nodes, node_id, plan_of, read_plan
from dflow_like.view.source import local_workspace, plan_for, summarize
from dflow_like.view.summary import _read
from tests.polling import poll

from .workflows import energy_workflow


def _phase_of(view: str, name: str) -> str:
    found = re.search(rf"data-name='{re.escape(name)}' data-phase='(\w+)'", view)
    assert found, f"no node {name!r} in the graph"
    return found.group(1)


def test_before_submit_the_view_is_the_plan_with_its_total(release: Path) -> None:
    view = energy_workflow(release=str(release))._repr_html_()
    assert "not submitted" in view and "<svg" in view
    assert "energy \u00d720" in view  # the fan-out is one node, its item count known from the definition
    assert "post · DAG" in view  # the nested DAG is a box holding its tasks
    assert _phase_of(view, "collect") == "Pending" and "planned" in view
    assert "0/23 steps done" in view  # gate + 20 items + collect + report, known in advance


def test_the_graph_follows_the_run_and_shows_failures_with_log_tails(release: Path) -> None:
    wf = energy_workflow(release=str(release))
    wf.submit()
    poll(lambda: _phase_of(wf._repr_html_(), "gate") == "Running", "the gate step to run")
    running = wf._repr_html_()
    assert "0/23 steps done" in running  # progress over the whole plan, not only the started steps
    assert _phase_of(running, "energy") == "Pending"
    release.write_text("go")
    assert wf.wait(timeout=120) == "Succeeded"
    view = wf._repr_html_()
    assert "23/23 steps done" in view
    assert "energy \u00d720" in view and "18 ✓ 2 ✗" in view
    assert _phase_of(view, "report") == "Succeeded"
    assert "2 failed" in view and "energy diverged for item 3" in view and "energy diverged for item 7" in view
    assert "log tail" in view and "computing energy of item 3" in view  # the failed step's own output


def test_plan_paths_are_the_engine_node_ids(release: Path) -> None:
    release.write_text("go")
    wf = energy_workflow(n=3, fail=(), release=str(release))
    wf.submit()
    assert wf.wait(timeout=120) == "Succeeded"
    ids = {s.id for s in wf.query_step() if "(" not in s.name}
    plan = plan_of(wf.entrypoint, wf.name)
    assert {node_id(wf.id or "", n.path) for n in iter_nodes(plan)} == ids


def test_a_reattached_workflow_draws_the_plan_saved_at_submit(release: Path) -> None:
    release.write_text("go")
    wf = energy_workflow(n=4, fail=(1,), release=str(release))
    wf.submit()
    wf.wait(timeout=120)
    again = Workflow(id=wf.id)
    ws = local_workspace(again._backend(), again.id or "")
    assert read_plan(ws.root) is not None
    view = again._repr_html_()
    assert "energy \u00d74" in view and "3 ✓ 1 ✗" in view and "post · DAG" in view
    assert "7/7 steps done" in view


def _queries(wf: Workflow) -> list[str]:
    ws = local_workspace(wf._backend(), wf.id or "")
    statements: list[str] = []
    db = sqlite3.connect(f"file:{ws.db_path}?mode=ro", uri=True)
    db.set_trace_callback(statements.append)
    summary = _read(db, wf.id or "", plan_for(wf))
    db.close()
    assert summary.done == summary.total
    return statements


def test_a_refresh_asks_the_same_queries_for_5_or_200_items(tmp_path: Path) -> None:
    (tmp_path / "go").write_text("go")
    small, large = (energy_workflow(n=n, fail=(), release=str(tmp_path / "go")) for n in (5, 200))
    for wf in (small, large):
        wf.submit()
    for wf in (small, large):
        assert wf.wait(timeout=300) == "Succeeded"
    few, many = _queries(small), _queries(large)
    assert len(few) == len(many) and not any("inputs" in q or "outputs" in q for q in many)
    assert summarize(large, plan_for(large)).total == 203
