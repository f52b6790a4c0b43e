"""The graph of an Argo run, drawn from the nodes its server reports (``status.nodes``).

Argo records a ``Steps`` template as stages (``StepGroup`` nodes ``[0]``, ``[1]``, ...)
whose children are that stage's steps, and a ``DAG`` as tasks that list their dependents
as children; every node inside a template names it as its ``boundaryID`` (Argo's
``workflow/controller/steps.go`` and ``dags.go``). So a container's steps are the nodes in
its boundary: stages give a Steps template's layers, children links give a DAG's edges.
Loop items (``run(0:a)``, ``run(1:b)``; a DAG's ``TaskGroup``) are drawn as one fan-out
node with counts by phase; a ``Retry`` node stands for its attempts. Paths are Argo's node
ids (a fan-out's: ``<stage or task group id>:<step name>``), which the step pages take.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..engine.argo.status import parse_time, workflow_phase
from .plan import MAX_CHILDREN, MAX_DEPTH, PlanNode
from .summary import FAILED, FINISHED, MAX_FAILURES, Failure, NodeState, RunSummary, count_leaves, progress

__all__ = ["LOOP_SEP", "argo_graph", "fan_out_phase", "loop_items"]

LOOP_SEP = ":"  # a fan-out's path: "<parent node id>:<step name>" (Argo's node ids hold no colon)
_ITEM = re.compile(r"^(.*)\((\d+):.*\)$")  # Argo's display name of a loop item: name(index:value)
_Node = Mapping[str, Any]


def _stage(node: _Node) -> int:
    found = re.fullmatch(r"\[(\d+)\]", str(node.get("displayName") or ""))
    return int(found.group(1)) if found else 0


def _name(node: _Node) -> str:
    return str(node.get("displayName") or node.get("name") or node.get("id") or "")


def loop_items(nodes: Mapping[str, _Node], path: str) -> tuple[str, list[_Node]]:
    """The step name and the item nodes of the fan-out drawn at ``path``."""
    parent_id, _, base = path.partition(LOOP_SEP)
    parent = nodes.get(parent_id) or {}
    kids = [nodes[c] for c in parent.get("children") or [] if c in nodes]
    if parent.get("type") == "TaskGroup":
        return base, kids
    return base, [k for k in kids if (m := _ITEM.match(_name(k))) and m.group(1) == base]


def fan_out_phase(counts: Mapping[str, int]) -> str:
    """A fan-out's phase from its items' counts by phase: Running until every item finished."""
    if not all(p in FINISHED for p in counts):
        return "Running"
    return "Failed" if any(p in FAILED for p in counts) else "Succeeded"


class _Builder:
    def __init__(self, nodes: Mapping[str, _Node]) -> None:
        self.nodes = nodes
        self.inside: dict[str, list[_Node]] = {}
        for node in nodes.values():
            self.inside.setdefault(str(node.get("boundaryID") or ""), []).append(node)
        self.states: dict[str, NodeState] = {}

    def state(self, node: _Node) -> NodeState:
        return NodeState(
            str(node.get("phase") or "Pending"), parse_time(node.get("startedAt")),
            parse_time(node.get("finishedAt")), str(node.get("message") or ""),
        )  # fmt: skip

    def members(self, container: _Node) -> list[tuple[_Node | list[_Node], int, str]]:
        """(a node, or a loop's items; its layer; a fan-out's path) of the steps of ``container``."""
        cid = str(container.get("id"))
        if container.get("type") == "Steps":
            found: list[tuple[_Node | list[_Node], int, str]] = []
            groups = sorted((n for n in self.inside.get(cid, []) if n.get("type") == "StepGroup"), key=_stage)
            for group in groups:
                loops: dict[str, list[_Node]] = {}
                for child_id in group.get("children") or []:
                    child = self.nodes.get(child_id)
                    if child is None or str(child.get("boundaryID") or "") != cid:
                        continue
                    item = _ITEM.match(_name(child))
                    if item:
                        loops.setdefault(item.group(1), []).append(child)
                    else:
                        found.append((child, _stage(group), ""))
                found.extend(
                    (items, _stage(group), f"{group.get('id')}{LOOP_SEP}{base}") for base, items in loops.items()
                )
            return found
        hidden = {  # a Retry's attempts and a TaskGroup's items are drawn through them
            c
            for n in self.inside.get(cid, [])
            if n.get("type") in ("Retry", "TaskGroup")
            for c in n.get("children") or []
        }
        tasks = [n for n in self.inside.get(cid, []) if n.get("id") not in hidden and n.get("type") != "StepGroup"]
        return [(t, 0, "") for t in tasks]

    def expand(self, plan: PlanNode, container: _Node, depth: int) -> None:
        members = self.members(container)
        if len(members) > MAX_CHILDREN or depth >= MAX_DEPTH:
            plan.kind, plan.size = "Collapsed", len(members)
            items: dict[str, int] = {}
            for node, _, _ in members:
                for one in node if isinstance(node, list) else [node]:
                    phase = str(one.get("phase") or "Pending")
                    items[phase] = items.get(phase, 0) + 1
            self.states.setdefault(plan.path, self.state(container)).items = items
            return
        index: dict[str, int] = {}
        for node, rank, path in members:
            if isinstance(node, list):
                child = self.fan_out(path, node, rank)
            else:
                child = self.node(node, rank, depth)
                index[str(node.get("id"))] = len(plan.children)
            plan.children.append(child)
        if container.get("type") == "Steps":
            ranks = [c.rank for c in plan.children]
            plan.edges = [(a, b) for a, ra in enumerate(ranks) for b, rb in enumerate(ranks) if rb == ra + 1]
        else:
            self.dag_edges(plan, members, index)
        plan.size = sum(c.size for c in plan.children) or 1

    def dag_edges(self, plan: PlanNode, members: list[Any], index: dict[str, int]) -> None:
        """A DAG task lists its dependents as children (through its Retry attempts too)."""
        for node, _, _ in members:
            if isinstance(node, list):
                continue
            outs = list(node.get("children") or [])
            if node.get("type") in ("Retry", "TaskGroup"):
                outs = [o for c in outs for o in (self.nodes.get(c) or {}).get("children") or []]
            a = index[str(node.get("id"))]
            plan.edges.extend((a, index[o]) for o in outs if o in index and index[o] != a)
        rank: dict[int, int] = {}
        for _ in plan.children:  # longest path, by relaxation (a DAG of at most MAX_CHILDREN tasks)
            for a, b in plan.edges:
                rank[b] = max(rank.get(b, 0), rank.get(a, 0) + 1)
        for i, child in enumerate(plan.children):
            child.rank = rank.get(i, 0)

    def fan_out(self, path: str, items: list[_Node], rank: int) -> PlanNode:
        counts: dict[str, int] = {}
        for item in items:
            phase = str(item.get("phase") or "Pending")
            counts[phase] = counts.get(phase, 0) + 1
        base = path.partition(LOOP_SEP)[2]
        starts = [t for t in (parse_time(i.get("startedAt")) for i in items) if t is not None]
        ends = [t for t in (parse_time(i.get("finishedAt")) for i in items) if t is not None]
        phase = fan_out_phase(counts)
        done = phase != "Running"
        self.states[path] = NodeState(phase, min(starts, default=None), max(ends, default=None) if done else None)
        self.states[path].items = counts
        return PlanNode(base, path, "Pod", str(items[0].get("templateName") or ""), fan_out=True,
                        items=len(items), rank=rank, size=len(items))  # fmt: skip

    def node(self, node: _Node, rank: int, depth: int) -> PlanNode:
        kind = str(node.get("type") or "Pod")
        path = str(node.get("id"))
        self.states[path] = self.state(node)
        if kind == "TaskGroup":
            return self.fan_out(f"{path}{LOOP_SEP}{_name(node)}", [
                self.nodes[c] for c in node.get("children") or [] if c in self.nodes
            ], rank)  # fmt: skip
        plan = PlanNode(
            _name(node), path, kind if kind in ("Steps", "DAG") else "Pod", str(node.get("templateName") or "")
        )
        plan.rank = rank
        if kind in ("Steps", "DAG"):
            self.expand(plan, node, depth + 1)
        return plan


def argo_graph(workflow: Mapping[str, Any]) -> tuple[PlanNode, RunSummary]:
    """The graph of an Argo run and its state, from the server's answer (``GetWorkflow``)."""
    meta, status = workflow.get("metadata") or {}, workflow.get("status") or {}
    name = str(meta.get("name") or "")
    nodes: Mapping[str, _Node] = {str(k): v for k, v in (status.get("nodes") or {}).items() if isinstance(v, Mapping)}
    builder = _Builder(nodes)
    root_node = nodes.get(name) or next((n for n in nodes.values() if not n.get("boundaryID")), None)
    plan = PlanNode(name, str(root_node.get("id")) if root_node else name, "Steps")
    summary = RunSummary(name, name, workflow_phase(workflow), str(status.get("message") or ""))
    if root_node is not None:
        plan.kind = str(root_node.get("type")) if root_node.get("type") in ("Steps", "DAG") else "Steps"
        builder.states[plan.path] = builder.state(root_node)
        builder.expand(plan, root_node, 0)
    summary.states = builder.states
    summary.created = parse_time(meta.get("creationTimestamp"))
    summary.started, summary.finished = parse_time(status.get("startedAt")), parse_time(status.get("finishedAt"))
    retried = {  # a failed attempt of a step that then succeeded (or still retries) is no failure
        c for n in nodes.values() if n.get("type") == "Retry" and n.get("phase") not in FAILED
        for c in n.get("children") or []
    }  # fmt: skip
    failed = sorted(
        (
            n
            for n in nodes.values()
            if n.get("type") == "Pod" and n.get("phase") in FAILED and n.get("id") not in retried
        ),
        key=lambda n: str(n.get("finishedAt") or ""),
    )
    summary.failed_total = len(failed)
    summary.failures = [
        Failure(_name(n), str(n.get("message") or ""), str(n.get("id")), None) for n in failed[:MAX_FAILURES]
    ]
    count_leaves(summary, plan)
    progress(summary, plan)
    return plan, summary
