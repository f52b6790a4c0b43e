"""Step progress (``StepRecord.progress``, ``"current/total"``) computed as Argo does.

A pod's progress is what its OP last reported (``progress_total``/``progress_current``,
a file in the attempt directory), ``0/1`` before it reports; once it has succeeded (or
was skipped/omitted) it is complete (``total/total``). Every other node sums its
children. This mirrors ``UpdateProgress`` in Argo's ``workflow/progress/updater.go``.

The engine records a pod's progress when the pod ends (``final_progress``), so a query
reads progress files only for the pods running right now.
"""

from __future__ import annotations

import os

from ...records import StepRecord
from ...runner.spec import PROGRESS_FILE

__all__ = ["fill_progress", "final_progress"]

_COMPLETE = ("Succeeded", "Skipped", "Omitted")


def _reported(log_path: str | None) -> tuple[int, int]:
    if log_path:
        try:
            with open(os.path.join(os.path.dirname(log_path), PROGRESS_FILE), encoding="utf-8") as fh:
                current, total = (int(x) for x in fh.read().split("/"))
            if total > 0 and current >= 0:
                return current, total
        except (OSError, ValueError):
            pass
    return 0, 1


def _text(current: int, total: int, phase: str) -> str:
    return f"{total if phase in _COMPLETE else current}/{total}"


def final_progress(rec: StepRecord) -> str:
    """A pod's progress once it has ended (kept with its record)."""
    return _text(*_reported(rec.log_path), rec.phase)


def _pod_progress(rec: StepRecord) -> tuple[int, int]:
    """Running: from its file now; ended: as recorded (else, e.g. an older run's, from its file)."""
    if rec.progress is None or rec.phase in ("Running", "Pending"):
        rec.progress = _text(*_reported(rec.log_path), rec.phase)
    current, total = rec.progress.split("/")
    return int(current), int(total)


def fill_progress(records: list[StepRecord]) -> None:
    """Set ``.progress`` on every record (pods from their reports, others as their children's sum)."""
    by_id = {r.id: r for r in records}
    sums: dict[str, list[int]] = {}
    for rec in records:
        if rec.type != "Pod":
            continue
        current, total = _pod_progress(rec)
        parent, seen = by_id.get(rec.parent_id or ""), set()
        while parent is not None and parent.id not in seen:  # iterative: no recursion limit
            seen.add(parent.id)
            acc = sums.setdefault(parent.id, [0, 0])
            acc[0] += current
            acc[1] += total
            parent = by_id.get(parent.parent_id or "")
    for node_id, (current, total) in sums.items():
        by_id[node_id].progress = f"{current}/{total}"
