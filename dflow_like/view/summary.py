"""A run's state, summarised for a picture: a fixed number of aggregate queries per refresh.

``local_summary`` reads the local engine's SQLite state (``engine/local/state_store.py``)
with queries whose cost does not depend on the run's size: the plan's drawn nodes by id,
item counts of fan-outs and the failed total from the counters the engine keeps as steps
change phase (``child_counts``, ``phase_counts``), the first failures on a partial index;
counts by phase are added up from those, not scanned. Any other
engine (Argo) goes through ``records_summary`` from ``query_step()`` records.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.local.orphans import ORPHANED
from ..engine.local.state_store import child_counts, has_counters, phase_counts
from ..records import StepRecord
from .plan import PlanNode, iter_nodes, node_id

__all__ = [
    "Failure", "NodeState", "RunSummary", "count_leaves", "local_summary", "plan_summary", "progress",
    "records_summary", "settle_orphans",
]  # fmt: skip

FINISHED = ("Succeeded", "Failed", "Error", "Skipped", "Omitted")
FAILED = ("Failed", "Error")
LEAF_TYPES = ("Pod", "Skipped")  # a Skipped node is a step whose ``when`` was false
MAX_FAILURES = 10
_CHUNK = 500  # SQLite's parameter limit is 999 on old builds


@dataclass
class NodeState:
    phase: str = "Pending"
    start: float | None = None
    end: float | None = None
    message: str = ""
    items: dict[str, int] = field(default_factory=dict)  # a fan-out's (or collapsed container's) children by phase


@dataclass
class Failure:
    name: str
    message: str
    node_id: str
    log_path: str | None


@dataclass
class RunSummary:
    """What a view needs of a run: phase and times, node states by plan path, progress, failures."""

    wf_id: str | None
    name: str
    phase: str = "Pending"
    message: str = ""
    created: float | None = None
    started: float | None = None
    finished: float | None = None
    states: dict[str, NodeState] = field(default_factory=dict)  # by plan path
    counts: dict[str, int] = field(default_factory=dict)  # leaf steps (and items) by phase
    failures: list[Failure] = field(default_factory=list)
    failed_total: int = 0
    done: int = 0
    total: int = 0

    def headline(self) -> str:
        """One line for text: ``ID: Phase, done/total steps done, N failed`` (the HTML header's counts)."""
        failed = sum(n for p, n in self.counts.items() if p in FAILED)
        return (
            f"{self.wf_id or self.name}: {self.phase}, {self.done}/{self.total} steps done"
            f"{f', {failed} failed' if failed else ''}"
        )

    @property
    def submitted(self) -> bool:
        return self.wf_id is not None

    @property
    def running(self) -> bool:
        return self.phase in ("Pending", "Running") and self.submitted

    def elapsed(self, now: float | None = None) -> float | None:
        begin = self.started or self.created
        if begin is None:
            return None
        end = self.finished if self.finished is not None else (now or time.time())
        return max(0.0, end - begin)


def _units(node: PlanNode, state: NodeState | None) -> tuple[int, int]:
    """(done, total) leaf units a drawn leaf node stands for."""
    if node.fan_out or node.kind == "Collapsed":
        items = state.items if state else {}
        total = sum(items.values()) or node.items or node.size or 1
        done = sum(n for p, n in items.items() if p in FINISHED)
        if state is not None and state.phase in FINISHED and not items:
            done = total
        return done, total
    return (1 if state is not None and state.phase in FINISHED else 0), 1


def progress(summary: RunSummary, plan: PlanNode) -> None:
    """Progress over the whole plan: leaves not yet started count as to do."""
    done = total = 0
    stack = [(plan, False)]
    while stack:
        node, settled = stack.pop()
        state = summary.states.get(node.path)
        if node.children and not node.fan_out:
            # a container that ended (skipped, omitted, failed) settles what never started inside it
            settled = settled or (state is not None and state.phase in FINISHED and node.path != "")
            stack.extend((c, settled) for c in node.children)
            continue
        d, t = _units(node, state)
        done, total = done + (t if settled and d < t else d), total + t
    summary.done, summary.total = done, total


def count_leaves(summary: RunSummary, plan: PlanNode) -> None:
    """Steps by phase, from the drawn nodes and the item counts already read (no scan of the run)."""
    for node in iter_nodes(plan):
        state = summary.states.get(node.path)
        if state is None or node.path == "" or (node.children and not node.fan_out):
            continue
        for phase, count in (state.items or {state.phase: 1}).items():
            summary.counts[phase] = summary.counts.get(phase, 0) + count


def plan_summary(plan: PlanNode, name: str) -> RunSummary:
    """A run not submitted yet: every node pending."""
    summary = RunSummary(None, name)
    progress(summary, plan)
    return summary


def _in_chunks(db: sqlite3.Connection, sql: str, keys: list[str]) -> Iterable[tuple[object, ...]]:
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        yield from db.execute(sql.format(marks=",".join("?" * len(chunk))), chunk)


def _recount_children(db: sqlite3.Connection, groups: list[str]) -> dict[str, dict[str, int]]:
    """Children by phase, counted (a state file from before the counters)."""
    found: dict[str, dict[str, int]] = {}
    sql = "SELECT parent_id, phase, COUNT(*) FROM nodes WHERE parent_id IN ({marks}) GROUP BY parent_id, phase"
    for parent, phase, count in _in_chunks(db, sql, groups):
        found.setdefault(str(parent), {})[str(phase)] = int(count)  # type: ignore[call-overload]
    return found


def local_summary(db_path: Path, wf_id: str, plan: PlanNode) -> RunSummary:
    """The summary of a local run from its state store (read-only connection)."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return _read(db, wf_id, plan)
    finally:
        db.close()


def _read(db: sqlite3.Connection, wf_id: str, plan: PlanNode) -> RunSummary:
    row = db.execute("SELECT name, phase, message, created, started, finished FROM workflow").fetchone()
    summary = RunSummary(wf_id, plan.name)
    if row is not None:
        summary.name = row[0] or plan.name
        summary.phase, summary.message = row[1] or "Pending", row[2] or ""
        summary.created, summary.started, summary.finished = row[3], row[4], row[5]
    paths = {node_id(wf_id, n.path): n.path for n in iter_nodes(plan)}
    for nid, phase, start, end, message in _in_chunks(
        db, "SELECT id, phase, start_time, end_time, message FROM nodes WHERE id IN ({marks})", list(paths)
    ):
        summary.states[paths[str(nid)]] = NodeState(str(phase), start, end, str(message or ""))  # type: ignore[arg-type]
    groups = [node_id(wf_id, n.path) for n in iter_nodes(plan) if n.fan_out or n.kind == "Collapsed"]
    counted = has_counters(db)
    for parent, items in (child_counts(db, groups) if counted else _recount_children(db, groups)).items():
        summary.states.setdefault(paths[parent], NodeState()).items.update(items)
    count_leaves(summary, plan)
    if counted:
        counts = phase_counts(db)
        summary.failed_total = sum(n for (kind, phase), n in counts.items() if kind == "Pod" and phase in FAILED)
    else:
        fmarks = ",".join("?" * len(FAILED))
        sql = f"SELECT COUNT(*) FROM nodes WHERE type = 'Pod' AND phase IN ({fmarks})"
        summary.failed_total = int(db.execute(sql, FAILED).fetchone()[0])
    if summary.failed_total:  # the first failed pods: with the counters came the partial index ``nodes_failed``
        index = "INDEXED BY nodes_failed" if counted else ""
        for nid, name, message, log_path in db.execute(
            f"SELECT id, name, message, log_path FROM nodes {index} "
            "WHERE type = 'Pod' AND phase IN ('Failed', 'Error') ORDER BY end_time LIMIT ?",
            (MAX_FAILURES,),
        ):
            summary.failures.append(Failure(str(name), str(message or ""), str(nid), log_path))
    progress(summary, plan)
    return summary


def settle_orphans(summary: RunSummary, plan: PlanNode) -> None:
    """For a run whose engine is gone (``LocalBackend.engine_gone``): what it left ``Running`` reads ``Error``.

    The engine writes its steps' ends; killed, it writes none, and the run reads ``Error``
    (``LocalBackend.status``). The records say the same (``engine/local/orphans.py``); so
    does the picture, and its progress counts them ended.
    """
    for state in summary.states.values():
        if state.phase == "Running":
            state.phase, state.message = "Error", ORPHANED
        if "Running" in state.items:
            state.items["Error"] = state.items.get("Error", 0) + state.items.pop("Running")
    if "Running" in summary.counts:
        summary.counts["Error"] = summary.counts.get("Error", 0) + summary.counts.pop("Running")
        progress(summary, plan)


def _by_name(records: list[StepRecord]) -> dict[str, StepRecord]:
    """The first record of each step name (Pods, Steps, DAGs and fan-out groups; not items)."""
    found: dict[str, StepRecord] = {}
    for rec in records:
        if rec.parent_id is not None and not rec.name.startswith("[") and rec.type != "Retry":
            found.setdefault(rec.name, rec)
    return found


def _items_named(records: list[StepRecord], name: str) -> dict[str, int]:
    """A fan-out's items by phase, found by their names ``name(i:item)`` (Argo's display names)."""
    counts: dict[str, int] = {}
    for rec in records:
        if rec.type == "Pod" and rec.name.startswith(f"{name}("):
            counts[rec.phase] = counts.get(rec.phase, 0) + 1
    return counts


def _phase_of_items(items: dict[str, int]) -> str:
    if any(p not in FINISHED for p in items):
        return "Running"
    return "Failed" if any(p in FAILED for p in items) else "Succeeded"


def records_summary(records: list[StepRecord], plan: PlanNode, wf_id: str, phase: str, message: str = "") -> RunSummary:
    """The summary from step records (engines without a local state store, e.g. Argo)."""
    summary = RunSummary(wf_id, plan.name, phase, message)
    by_id = {r.id: r for r in records}
    children: dict[str, dict[str, int]] = {}
    for rec in records:
        parent = by_id.get(rec.parent_id) if rec.parent_id is not None else None
        if parent is not None and parent.type == "StepGroup":
            counts = children.setdefault(parent.id, {})
            counts[rec.phase] = counts.get(rec.phase, 0) + 1
        if rec.type in LEAF_TYPES:
            summary.counts[rec.phase] = summary.counts.get(rec.phase, 0) + 1
        if rec.type == "Pod" and rec.phase in FAILED:
            summary.failed_total += 1
            if len(summary.failures) < MAX_FAILURES:
                summary.failures.append(Failure(rec.name, rec.message, rec.id, rec.log_path))
        if rec.parent_id is None:
            summary.started, summary.finished = rec.start_time, rec.end_time
    by_name = _by_name(records) if plan.path == "" else {}
    for node in iter_nodes(plan):
        # a plan from records (``plan_from_records``) has record ids as paths; a definition's plan
        # (an Argo run) is matched by step name: Argo's node names are not our paths
        found = by_id.get(node.path) or (by_name.get(node.name) if node.path else None)
        if found is not None:
            items = children.get(found.id, {}) or (_items_named(records, node.name) if node.fan_out else {})
            summary.states[node.path] = NodeState(found.phase, found.start_time, found.end_time, found.message, items)
        elif node.fan_out and node.path:  # Argo draws no node for the loop itself, only its items
            items = _items_named(records, node.name)
            if items:
                summary.states[node.path] = NodeState(_phase_of_items(items), items=items)
    progress(summary, plan)
    return summary
