"""The plan of a run: the graph of steps a workflow definition will run, known before it runs.

Each plan node carries the path the local engine derives its node id from
(``Scheduler.node_id`` in ``engine/local/scheduler.py``: ``<wf id>-sha1(path)[:10]``,
paths ``/step``, ``/outer/inner``), so a run's state is looked up by id, never scanned.
A fan-out is one node (its items are counted, not drawn); a recursive template is drawn
once; a container with very many children is drawn as one node with counts. The plan is
written beside a local run (``plan.json``) so any process can draw it without unpickling
user code.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..graph.dag import DAG
from ..graph.step import Step
from ..graph.steps import Steps
from ..graph.template import OPTemplate
from ..records import StepRecord

__all__ = [
    "PLAN_FILE", "TIMES", "PlanNode", "iter_nodes", "node_id", "plan_from_records", "plan_of",
    "read_plan", "save_plan", "write_plan",
]  # fmt: skip

PLAN_FILE = "plan.json"
TIMES = "\u00d7"  # the multiplication sign, as in "energy \u00d720"
MAX_CHILDREN = 40  # a container with more children is drawn as one node with counts
MAX_DEPTH = 6  # deeper containers are drawn as one node with counts
EXIT_PATH = "/{wf}.onExit"  # the exit handler's path depends on the run id (scheduler._run_exit_handler)


@dataclass
class PlanNode:
    """One drawn node: a leaf step, a fan-out, or a ``Steps``/``DAG`` container with children."""

    name: str
    path: str
    kind: str  # Pod, Steps, DAG, Recursive, or Collapsed (a container drawn as one node)
    template: str = ""
    fan_out: bool = False
    items: int | None = None  # a fan-out's item count when the definition tells it
    rank: int = 0  # the layer inside its container: a Steps stage, a DAG depth
    size: int = 1  # leaf steps it stands for (a collapsed container: its children)
    children: list[PlanNode] = field(default_factory=list)
    edges: list[tuple[int, int]] = field(default_factory=list)  # indices into ``children``

    @property
    def is_container(self) -> bool:
        return self.kind in ("Steps", "DAG") and not self.fan_out

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "path": self.path, "kind": self.kind, "template": self.template}
        if self.fan_out:
            data["fan_out"] = True
        if self.items is not None:
            data["items"] = self.items
        if self.rank:
            data["rank"] = self.rank
        if self.size != 1:
            data["size"] = self.size
        if self.children:
            data["children"] = [c.to_json() for c in self.children]
            data["edges"] = [list(e) for e in self.edges]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlanNode:
        return cls(
            name=str(data["name"]), path=str(data["path"]), kind=str(data["kind"]),
            template=str(data.get("template", "")), fan_out=bool(data.get("fan_out", False)),
            items=data.get("items"), rank=int(data.get("rank", 0)), size=int(data.get("size", 1)),
            children=[cls.from_json(c) for c in data.get("children", [])],
            edges=[(int(a), int(b)) for a, b in data.get("edges", [])],
        )  # fmt: skip


def node_id(wf_id: str, path: str) -> str:
    """The local engine's id of the node at ``path`` (same rule as ``Scheduler.node_id``)."""
    return f"{wf_id}-{hashlib.sha1(path.replace('{wf}', wf_id).encode()).hexdigest()[:10]}"


def _kind(template: OPTemplate) -> str:
    if isinstance(template, Steps):
        return "Steps"
    if isinstance(template, DAG):
        return "DAG"
    return "Pod"


def _is_fan_out(step: Step) -> bool:
    if step.with_param is not None or step.with_sequence is not None or step.with_items is not None:
        return True
    slices = step.slices
    return slices is not None and bool(slices.input_parameter or slices.input_artifact)


def _static_items(step: Step) -> int | None:
    """The item count when the definition says it (a literal list or sequence count)."""
    if step.with_items is not None:  # never consume an iterator here: the engine needs its items
        return len(step.with_items) if isinstance(step.with_items, (list, tuple)) else None
    if step.with_param is not None and "{{" not in step.with_param:
        try:
            value = json.loads(step.with_param)
        except json.JSONDecodeError:
            return None
        return len(value) if isinstance(value, list) else None
    seq = step.with_sequence
    count = getattr(seq, "count", None) if seq is not None else None
    if getattr(seq, "end", None) is None and str(count).strip().isdigit():
        return int(str(count))
    slices = step.slices  # Slices alone: one item per element of the first sliced list (as dflow's argo_len)
    if seq is None and step.with_param is None and slices is not None and slices.input_parameter:
        value = step.raw_parameters.get(slices.input_parameter[0])
        plain = slices.group_size is None and not slices.sub_path
        return len(value) if plain and isinstance(value, (list, tuple)) else None
    return None


def _children(template: OPTemplate) -> tuple[list[Step], list[int], list[tuple[int, int]]]:
    """Steps of a container, their layers, and the edges between them."""
    if isinstance(template, Steps):
        steps: list[Step] = []
        ranks: list[int] = []
        edges: list[tuple[int, int]] = []
        previous: list[int] = []
        for stage_no, stage in enumerate(template.steps):
            current = list(range(len(steps), len(steps) + len(stage)))
            steps.extend(stage)
            ranks.extend([stage_no] * len(stage))
            edges.extend((a, b) for a in previous for b in current)
            previous = current
        return steps, ranks, edges
    if isinstance(template, DAG):
        tasks: list[Step] = list(template.tasks)
        index = {t.name: i for i, t in enumerate(tasks)}
        deps = [[index[d] for d in t.dependencies if d in index] for t in tasks]  # type: ignore[attr-defined]
        depth: dict[int, int] = {}
        for start in range(len(tasks)):  # longest path from a source, iteratively (no recursion limit)
            stack = [start]
            while stack:
                i = stack[-1]
                if i in depth:
                    stack.pop()
                    continue
                todo = [d for d in deps[i] if d not in depth and d not in stack]
                if todo:
                    stack.extend(todo)
                    continue
                depth[i] = 1 + max((depth.get(d, 0) for d in deps[i]), default=-1)
                stack.pop()
        return tasks, [depth[i] for i in range(len(tasks))], [(d, i) for i, ds in enumerate(deps) for d in ds]
    return [], [], []


def _leaf_count(template: OPTemplate, seen: set[int]) -> int:
    if id(template) in seen or not isinstance(template, (Steps, DAG)):
        return 1
    steps, _, _ = _children(template)
    seen = seen | {id(template)}
    return sum(1 if _is_fan_out(s) else _leaf_count(s.template, seen) for s in steps) or 1


def _expand(node: PlanNode, template: OPTemplate, ancestors: set[int], depth: int) -> None:
    steps, ranks, edges = _children(template)
    if len(steps) > MAX_CHILDREN or depth >= MAX_DEPTH:
        node.kind, node.size = "Collapsed", len(steps)
        return
    node.edges = edges
    inside = ancestors | {id(template)}
    for step, rank in zip(steps, ranks):
        node.children.append(_node(step, f"{node.path}/{step.name}", rank, inside, depth + 1))
    node.size = sum(c.size for c in node.children)


def _node(step: Step, path: str, rank: int, ancestors: set[int], depth: int) -> PlanNode:
    template = step.template
    kind = _kind(template)
    node = PlanNode(step.name, path, kind, template.name or "", rank=rank)
    if _is_fan_out(step):
        node.fan_out, node.items = True, _static_items(step)
        node.size = node.items if node.items is not None else 1
    elif id(template) in ancestors:
        node.kind = "Recursive"
    elif kind != "Pod":
        _expand(node, template, ancestors, depth)
    return node


def plan_of(entrypoint: OPTemplate, name: str, on_exit: OPTemplate | None = None) -> PlanNode:
    """The plan of a workflow whose entrypoint is ``entrypoint`` (root path ``""``)."""
    root = PlanNode(name, "", _kind(entrypoint), entrypoint.name or "")
    _expand(root, entrypoint, set(), 0)
    if on_exit is not None:
        rank = 1 + max((c.rank for c in root.children), default=-1)
        exit_node = _node(Step("onExit", on_exit), EXIT_PATH, rank, {id(entrypoint)}, 1)
        root.children.append(exit_node)
        root.size += exit_node.size
    return root


def iter_nodes(plan: PlanNode) -> Iterator[PlanNode]:
    """Every node of the plan, parents before children (iteratively)."""
    stack = [plan]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def planned_steps(plan: PlanNode) -> int:
    """Leaf steps the plan knows of: a fan-out counts its items where the definition tells
    them, else 1 (its count is known only when it runs)."""
    total = 0
    for node in iter_nodes(plan):
        if node.fan_out:
            total += node.items or 1
        elif not node.children and node.kind in ("Pod", "Collapsed"):
            total += node.size
    return total


def write_plan(root: Path, plan: PlanNode) -> None:
    (root / PLAN_FILE).write_text(json.dumps(plan.to_json(), separators=(",", ":")))


def save_plan(root: Path, entrypoint: OPTemplate, name: str, on_exit: OPTemplate | None = None) -> None:
    """Write the plan beside a run being submitted; a failure here never stops the submit.

    Without ``plan.json`` the views draw the run from its records instead, so a problem
    drawing an unusual definition is reported as a warning, not raised.
    """
    try:
        write_plan(root, plan_of(entrypoint, name, on_exit))
    except Exception as exc:  # the picture is optional; the run is not
        warnings.warn(f"workflow {name!r}: its plan could not be saved for the views: {exc!r}", stacklevel=3)


def read_plan(root: Path) -> PlanNode | None:
    try:
        return PlanNode.from_json(json.loads((root / PLAN_FILE).read_text()))
    except (OSError, ValueError, KeyError):
        return None


def plan_from_records(records: list[StepRecord], name: str) -> PlanNode:
    """A plan guessed from a run's records, when its definition is not at hand (e.g. Argo).

    Paths are record ids. Layers follow time: a step is drawn below the siblings that had
    finished when it started; fan-out items are counted under their group, not drawn.
    """
    by_parent: dict[str | None, list[StepRecord]] = {}
    for rec in records:
        by_parent.setdefault(rec.parent_id, []).append(rec)
    roots = by_parent.get(None, [])
    if not roots:
        return PlanNode(name, "", "Steps")
    top = roots[0]
    root = PlanNode(name, top.id, top.type if top.type in ("Steps", "DAG") else "Steps", top.template)
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        kids = sorted(by_parent.get(node.path, []), key=lambda r: (r.start_time is None, r.start_time or 0.0))
        if len(kids) > MAX_CHILDREN or depth >= MAX_DEPTH:
            node.kind, node.size = "Collapsed", len(kids)
            continue
        for rec in kids:
            rank = 1 + max(
                (c.rank for c, k in zip(node.children, kids) if _before(k, rec)),
                default=-1,
            )
            child = PlanNode(rec.name, rec.id, rec.type if rec.type in ("Steps", "DAG") else "Pod", rec.template)
            child.rank = rank
            if rec.type == "StepGroup":
                child.fan_out, child.size = True, len(by_parent.get(rec.id, [])) or 1
            node.edges.extend(
                (i, len(node.children))
                for i, (c, k) in enumerate(zip(node.children, kids))
                if c.rank == rank - 1 and _before(k, rec)
            )
            node.children.append(child)
            if child.kind in ("Steps", "DAG") and not child.fan_out:
                stack.append((child, depth + 1))
    return root


def _before(a: StepRecord, b: StepRecord) -> bool:
    return a.end_time is not None and b.start_time is not None and a.end_time <= b.start_time
