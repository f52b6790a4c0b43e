"""Which records a ``retry`` of one step sets running again.

``retry(step=NAME)`` re-runs the named step even if it succeeded (Argo's retry with a
node selector and ``restartSuccessful``): its records, those of its slice items and
inner steps, and those of the containers around it are marked ``Failed`` with the
message ``retried``, and the engine resumes. Steps downstream of it run again
because a kept step must have the same inputs as before (``Scheduler._reused``):
when the retried step's outputs change, theirs do.
"""

from __future__ import annotations

from ...records import StepRecord
from .state_store import StateStore

__all__ = ["mark_for_retry"]


def _named(rec: StepRecord, step: str) -> bool:
    return rec.name == step or rec.name.startswith(f"{step}(")


def mark_for_retry(store: StateStore, wf_id: str, step: str) -> list[StepRecord]:
    """Mark ``step`` (and what it contains and is contained in) to run again; the records marked."""
    records = store.nodes()
    by_id = {r.id: r for r in records}
    chosen = [r for r in records if r.parent_id is not None and _named(r, step)]
    if not chosen:
        names = sorted({r.name.split("(")[0] for r in records if r.parent_id is not None})
        raise KeyError(f"workflow {wf_id!r} has no step {step!r} (its steps: {', '.join(names) or 'none'})")
    marked: dict[str, StepRecord] = {}
    children: dict[str | None, list[StepRecord]] = {}
    for rec in records:
        children.setdefault(rec.parent_id, []).append(rec)
    pending = list(chosen)
    while pending:  # the step and everything inside it
        rec = pending.pop()
        if rec.id not in marked:
            marked[rec.id] = rec
            pending.extend(children.get(rec.id, []))
    for rec in chosen:  # and every container around it, so the engine enters them again
        parent = by_id.get(rec.parent_id or "")
        while parent is not None:
            marked[parent.id] = parent
            parent = by_id.get(parent.parent_id or "")
    ids = list(marked)
    store.db.execute("BEGIN")
    store.db.executemany("UPDATE nodes SET phase = 'Failed', message = 'retried' WHERE id = ?", [(i,) for i in ids])
    store.db.execute("COMMIT")
    return list(marked.values())
