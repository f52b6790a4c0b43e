"""A run's steps in workflow order, for views that list them as a tree (``dflow-like status``).

``query_step()`` lists steps by start time, as dflow's does (``Workflow.query_step`` in
deepmodeling/dflow ``src/dflow/workflow.py``, and ``ArgoWorkflow.get_step`` in
``argo_objects.py``, sort by ``startedAt``). A tree read that way puts a step that a retry ran again after the
siblings it ran beside the first time; a tree shows each container's children where the
definition has them instead: by layer (a ``Steps`` stage, a DAG depth), then as written,
and a fan-out's items by their index.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..records import StepRecord
from .plan import PlanNode, iter_nodes, node_id, read_plan
from .source import local_workspace

__all__ = ["places", "planned_order", "sort_siblings"]

Place = tuple[int, int]  # (layer in its container, position among its siblings in the definition)


def planned_order(wf: Any) -> dict[str, Place]:
    """Each planned step's record id and its place in its container; empty when the plan
    is not saved beside the run (an Argo run: its steps stay in the server's order)."""
    ws = local_workspace(wf._backend(), wf.id)
    plan = read_plan(ws.root) if ws is not None else None
    return places(plan, wf.id) if plan is not None else {}


def places(plan: PlanNode, wf_id: str) -> dict[str, Place]:
    """The place of each node of a definition's ``plan`` (``plan_of``), by its record id."""
    return {
        node_id(wf_id, child.path): (child.rank, position)
        for node in iter_nodes(plan)
        for position, child in enumerate(node.children)
    }


def _item_index(rec: StepRecord, group: StepRecord) -> int | None:
    """An item's index from its name, ``group(index:label)`` (``Scheduler._run_item``)."""
    head = f"{group.name}("
    number = rec.name[len(head) :].split(":", 1)[0] if rec.name.startswith(head) else ""
    return int(number) if number.isdigit() else None


def sort_siblings(kids: list[StepRecord], parent: StepRecord | None, order: Mapping[str, Place]) -> list[StepRecord]:
    """``kids`` (children of ``parent``) in workflow order; those the plan does not place
    (inside a recursion or a collapsed container) keep their order, after those it does."""
    if parent is not None and parent.type == "StepGroup":
        indexes = {k.id: _item_index(k, parent) for k in kids}
        if None in indexes.values():
            return kids
        return sorted(kids, key=lambda k: indexes[k.id] or 0)
    placed = sorted((k for k in kids if k.id in order), key=lambda k: order[k.id])
    return placed + [k for k in kids if k.id not in order]
