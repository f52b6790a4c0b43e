"""The graph of an Argo run drawn from the nodes its server reports (``view/argo.py``)."""

from __future__ import annotations

import re

import pytest

from dflow_like.view.argo import argo_graph


def test_a_dag_is_drawn_with_its_dependencies_and_task_groups() -> None:
    """Argo's DAG nodes: tasks in the DAG's boundary list their dependents as children; a
    looped task is a TaskGroup whose children are its items (``workflow/controller/dags.go``)."""

    def node(i: str, name: str, kind: str, phase: str, children: list[str]) -> dict[str, object]:
        return {"id": i, "name": f"d.{name}", "displayName": name, "type": kind, "phase": phase,
                "boundaryID": "d", "children": children}  # fmt: skip

    nodes = {
        "d": {"id": "d", "name": "d", "displayName": "d", "type": "DAG", "phase": "Running", "children": ["a"]},
        "a": node("a", "a", "Pod", "Succeeded", ["g", "r"]),
        "g": node("g", "fan", "TaskGroup", "Running", ["g0", "g1", "g2"]),
        "g0": node("g0", "fan(0:x)", "Pod", "Succeeded", []),
        "g1": node("g1", "fan(1:y)", "Pod", "Running", []),
        "g2": node("g2", "fan(2:z)", "Pod", "Failed", []),
        "r": node("r", "b", "Retry", "Succeeded", ["r0", "r1"]),
        "r0": node("r0", "b(0)", "Pod", "Failed", []),
        "r1": node("r1", "b(1)", "Pod", "Succeeded", ["c"]),
        "c": node("c", "c", "Pod", "Pending", []),
    }
    plan, summary = argo_graph({"metadata": {"name": "d"}, "status": {"phase": "Running", "nodes": nodes}})
    drawn = {c.name: c for c in plan.children}
    assert set(drawn) == {"a", "fan", "b", "c"}  # no attempt or item drawn on its own
    assert drawn["fan"].fan_out and summary.states[drawn["fan"].path].items == {
        "Succeeded": 1, "Running": 1, "Failed": 1,
    }  # fmt: skip
    ranks = {name: c.rank for name, c in drawn.items()}
    assert ranks == {"a": 0, "fan": 1, "b": 1, "c": 2}  # c depends on b through b's last attempt
    index = {c.name: i for i, c in enumerate(plan.children)}
    assert (index["b"], index["c"]) in plan.edges and (index["a"], index["fan"]) in plan.edges
    assert summary.states["r"].phase == "Succeeded"
    assert summary.failed_total == 1  # fan(2:z); b's first attempt failed, but b succeeded


def test_a_reattached_argo_run_in_the_notebook_is_drawn_from_its_nodes(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Workflow(id=...)`` of an Argo run, as a cell's value: the same graph as the dashboard's
    (stages as layers, the loop as one node with counts), from the server's answer."""
    from dflow_like import Workflow
    from dflow_like._notebook import workflow_html
    from tests.engine.argo.argo_double import running_double
    from tests.ui.argo_runs import WF, argo_run

    with running_double() as double:
        monkeypatch.setenv("DFLOW_LIKE_HOST", double.url)
        monkeypatch.setenv("DFLOW_LIKE_TOKEN", str(double.token))
        argo_run(double)
        page = workflow_html(Workflow(id=WF))
    phases = dict(re.findall(r"data-name='([^']+)' data-phase='([^']+)'", page))
    assert phases == {WF: "Failed", "prep": "Succeeded", "run": "Failed"}
    assert "3/3 steps done" in page and "1 failed" in page and "Error (exit code 1)" in page
