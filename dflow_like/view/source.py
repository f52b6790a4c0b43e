"""Where a view gets its plan and state: the definition in hand, ``plan.json``, the Argo
Server's nodes (a reattached Argo run), or the records."""

from __future__ import annotations

import sys
from typing import Any

from ..graph.collect import children_of
from .argo import argo_graph
from .plan import PlanNode, plan_from_records, plan_of, read_plan
from .summary import RunSummary, local_summary, plan_summary, records_summary, settle_orphans

__all__ = ["argo_workflow", "local_workspace", "plan_for", "summarize"]


def local_workspace(backend: Any, wf_id: str) -> Any:
    """The local run's ``Workspace`` when ``backend`` is the local engine, else ``None``."""
    from ..engine.local import LocalBackend

    if isinstance(backend, LocalBackend):
        ws = backend.workspace(wf_id)
        return ws if ws.exists() else None
    return None


def argo_workflow(backend: Any, wf_id: str) -> dict[str, Any] | None:
    """The Argo Server's answer for the run when ``backend`` is Argo's, else ``None``."""
    module = sys.modules.get("dflow_like.engine.argo.backend")  # not imported: no ArgoBackend exists
    if module is None or not isinstance(backend, module.ArgoBackend):
        return None
    workflow: dict[str, Any] = backend.client.get(wf_id)
    return workflow


def plan_for(wf: Any, backend: Any | None = None) -> PlanNode:
    """The definition's plan; for a reattached ``Workflow(id=...)``, the one saved at submit."""
    if wf.id is None or children_of(wf.entrypoint):
        return plan_of(wf.entrypoint, wf.name, getattr(wf, "on_exit", None))
    backend = backend or wf._backend()
    argo = argo_workflow(backend, wf.id)
    if argo is not None:  # drawn from the server's nodes: stages, DAG edges, loops as one node
        return argo_graph(argo)[0]
    ws = local_workspace(backend, wf.id)
    saved = read_plan(ws.root) if ws is not None else None
    if saved is not None:
        return saved
    return plan_from_records(wf.query_step(), wf.id)


def summarize(wf: Any, plan: PlanNode, backend: Any | None = None) -> RunSummary:
    """The run's state for ``plan``: aggregate queries on a local run, records otherwise."""
    if wf.id is None:
        return plan_summary(plan, wf.name)
    backend = backend or wf._backend()
    argo = argo_workflow(backend, wf.id) if plan.path != "" else None
    if argo is not None:  # a plan from the server's nodes (``plan_for``): their states, by node id
        return argo_graph(argo)[1]
    phase, message = backend.status(wf.id)
    ws = local_workspace(backend, wf.id)
    if ws is not None and plan.path == "":  # a plan from the definition: look nodes up by id
        summary = local_summary(ws.db_path, wf.id, plan)
        summary.phase, summary.message = str(phase), str(message)
        if phase == "Error" and backend.engine_gone(wf.id):
            settle_orphans(summary, plan)
        return summary
    records = list(backend.records(wf.id))
    return records_summary(records, plan, wf.id, str(phase), str(message))
