"""An Argo run as the Argo Server reports it, for the dashboard's tests (served by the protocol double)."""

from __future__ import annotations

from typing import Any

from tests.engine.argo.argo_double import ArgoDouble

WF = "hello-x7k2p"
TIMES = {"startedAt": "2024-05-01T12:00:00Z", "finishedAt": "2024-05-01T12:01:30Z"}


def _node(node_id: str, name: str, display: str, kind: str, phase: str, **extra: Any) -> dict[str, Any]:
    node = {
        "id": node_id, "name": name, "displayName": display, "type": kind, "phase": phase,
        "startedAt": "2024-05-01T12:00:00Z", "finishedAt": None if phase == "Running" else "2024-05-01T12:00:30Z",
    }  # fmt: skip
    node.update(extra)
    return node


def nodes(run_phase: str = "Failed") -> dict[str, Any]:
    """``prep``, then ``run`` over two items: item 0 fails (or still runs), item 1 succeeds.

    Linked as Argo links a Steps template's nodes (``workflow/controller/steps.go``): the
    Steps node's child is stage ``[0]``, a stage's children are its steps, each step's
    child is the next stage; every node inside names the Steps node as its ``boundaryID``.
    """
    inside = {"boundaryID": WF}
    return {
        WF: _node(WF, WF, WF, "Steps", run_phase, templateName="main", children=[f"{WF}-1"]),
        f"{WF}-1": _node(f"{WF}-1", f"{WF}[0]", "[0]", "StepGroup", "Succeeded", children=[f"{WF}-2"], **inside),
        f"{WF}-2": _node(f"{WF}-2", f"{WF}[0].prep", "prep", "Pod", "Succeeded", templateName="prep",
                         children=[f"{WF}-3"], **inside,
                         outputs={"parameters": [{"name": "n", "value": "2"}],
                                  "artifacts": [{"name": "data", "path": "/tmp/data", "s3": {"key": "k/data.tgz"}}]}),
        f"{WF}-3": _node(f"{WF}-3", f"{WF}[1]", "[1]", "StepGroup", run_phase, children=[f"{WF}-4", f"{WF}-5"],
                         **inside),
        f"{WF}-4": _node(f"{WF}-4", f"{WF}[1].run(0:a)", "run(0:a)", "Pod", run_phase, templateName="run",
                         message="Error (exit code 1)" if run_phase == "Failed" else "", **inside),
        f"{WF}-5": _node(f"{WF}-5", f"{WF}[1].run(1:b)", "run(1:b)", "Pod", "Succeeded", templateName="run", **inside),
    }  # fmt: skip


def argo_run(double: ArgoDouble, phase: str = "Failed") -> str:
    """Create ``WF`` on the double and move it to ``phase`` (Running or Failed), with logs."""
    double.create("argo", {"workflow": {"metadata": {"name": WF}, "spec": {"entrypoint": "main"}}})
    times = TIMES if phase != "Running" else {"startedAt": TIMES["startedAt"]}
    double.advance(WF, phase=phase, nodes=nodes(phase), message="child failed" if phase == "Failed" else "", **times)
    return WF
