"""What the dashboard reads of local runs: bounded read-only queries on their state stores.

Every page asks a fixed number of queries, each bounded (``LIMIT``), so a run of 10,000
steps costs about what a run of 10 does; the graph and progress come from ``view.summary``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..engine.local import LocalBackend
from ..engine.local.state_store import child_counts, has_counters
from ..engine.local.workspace import Workspace
from ..records import StepRecord
from ..view.plan import PlanNode, plan_from_records, read_plan
from ..view.summary import RunSummary, local_summary, records_summary, settle_orphans

__all__ = ["RunRow", "Runs", "StepRow"]

PAGE = 100


@dataclass
class RunRow:
    id: str
    name: str
    phase: str
    created: float | None
    started: float | None
    finished: float | None
    message: str = ""
    engine: str = "local"  # or "argo": where its page is (``/runs/`` or ``/argo/runs/``)
    archived: bool = False  # an Argo run its server keeps in the workflow archive


@dataclass
class StepRow:
    id: str
    name: str
    phase: str
    type: str
    start: float | None
    end: float | None
    message: str


class Runs:
    """The runs under one dflow_like home (the local engine's)."""

    engine = "local"

    def __init__(self, home: Path | None = None) -> None:
        self.backend = LocalBackend(home)

    def _workspace(self, wf_id: str) -> Workspace:
        """The run's directory; an id that is not a plain name of one (``..``, a path) is unknown."""
        if not wf_id or "/" in wf_id or "\\" in wf_id or wf_id.startswith("."):
            raise KeyError(f"no local workflow {wf_id!r}")
        ws = self.backend.workspace(wf_id)
        if not ws.exists():
            raise KeyError(f"no local workflow {wf_id!r}")
        return ws

    @contextmanager
    def _db(self, wf_id: str) -> Iterator[sqlite3.Connection]:
        ws = self._workspace(wf_id)
        db = sqlite3.connect(f"file:{ws.db_path}?mode=ro", uri=True, timeout=30)
        try:
            yield db
        finally:
            db.close()

    def ids(self) -> list[str]:
        return self.backend.list_ids()

    def run(self, wf_id: str) -> RunRow:
        with self._db(wf_id) as db:
            row = db.execute("SELECT id, name, phase, created, started, finished, message FROM workflow").fetchone()
        if row is None:
            raise KeyError(f"workflow {wf_id!r} has no state yet")
        phase, message = self.backend.status(wf_id)  # an engine that died reads as Error
        return RunRow(row[0], row[1] or "", phase, row[3], row[4], row[5], message)

    def runs(self, phase: str = "", text: str = "") -> list[RunRow]:
        """Every run, newest first, filtered by phase and by a text in the id."""
        rows = []
        for wf_id in self.ids():
            if text and text.lower() not in wf_id.lower():
                continue
            try:
                run = self.run(wf_id)
            except (KeyError, sqlite3.Error):
                continue
            if phase and run.phase != phase:
                continue
            rows.append(run)
        rows.sort(key=lambda r: r.created or 0.0, reverse=True)
        return rows

    def plan(self, wf_id: str) -> PlanNode:
        saved = read_plan(self._workspace(wf_id).root)
        return saved if saved is not None else plan_from_records(self.backend.records(wf_id), wf_id)

    def summary(self, wf_id: str, plan: PlanNode) -> RunSummary:
        phase, message = self.backend.status(wf_id)
        if plan.path == "":
            summary = local_summary(self._workspace(wf_id).db_path, wf_id, plan)
            summary.phase, summary.message = phase, message
            if phase == "Error" and self.backend.engine_gone(wf_id):
                settle_orphans(summary, plan)
            return summary
        return records_summary(self.backend.records(wf_id), plan, wf_id, phase, message)

    def children(self, wf_id: str, parent_id: str, page: int = 0, phase: str = "") -> tuple[list[StepRow], int]:
        """One page of a node's children (a fan-out's items), and how many there are."""
        where, args = "WHERE parent_id = ?", [parent_id]
        if phase:
            where, args = where + " AND phase = ?", [*args, phase]
        with self._db(wf_id) as db:
            if has_counters(db):  # kept by the engine: no count of a 10,000-item fan-out
                counts = child_counts(db, [parent_id]).get(parent_id, {})
                total = counts.get(phase, 0) if phase else sum(counts.values())
            else:
                total = int(db.execute(f"SELECT COUNT(*) FROM nodes {where}", args).fetchone()[0])
            rows = db.execute(
                f"SELECT id, name, phase, type, start_time, end_time, message FROM nodes {where} "
                "ORDER BY seq LIMIT ? OFFSET ?",
                (*args, PAGE, page * PAGE),
            ).fetchall()
        return [StepRow(*r) for r in rows], total

    def step(self, wf_id: str, node_id: str) -> StepRecord:
        """One step's full record (inputs, outputs, log path), by id."""
        from ..engine.local.state_store import StateStore

        store = StateStore(self._workspace(wf_id).db_path, readonly=True)
        try:
            found = store.nodes("WHERE id = ?", (node_id,))
        finally:
            store.close()
        if not found:
            raise KeyError(f"workflow {wf_id!r} has no step {node_id!r}")
        return found[0]
