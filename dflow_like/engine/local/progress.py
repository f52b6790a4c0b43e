"""Step progress (``StepRecord.progress``, ``"current/total"``) computed as Argo does.

A pod's progress is what its OP last reported (``progress_total``/``progress_current``,
a file in the attempt directory), ``0/1`` before it reports; once it has succeeded (or
was skipped/omitted) it is complete (``total/total``). Every other node sums its
children. This mirrors ``UpdateProgress`` in Argo's ``workflow/progress/updater.go``.
"""

from __future__ import annotations

import os

from ...records import StepRecord
from ...runner.spec import PROGRESS_FILE

__all__ = ["fill_progress"]

_COMPLETE = ("Succeeded", "Skipped", "Omitted")


def _reported(rec: StepRecord) -> tuple[int, int]:
    if rec.log_path:
        try:
            with open(os.path.join(os.path.dirname(rec.log_path), PROGRESS_FILE), encoding="utf-8") as fh:
                current, total = fh.read().split("/")
            if int(total) > 0 and int(current) >= 0:
                return int(current), int(total)
        except (OSError, ValueError):
            pass
    return 0, 1


def fill_progress(records: list[StepRecord]) -> None:
    """Set ``.progress`` on every record (pods from their reports, others as their children's sum)."""
    by_id = {r.id: r for r in records}
    sums: dict[str, list[int]] = {}
    for rec in records:
        if rec.type != "Pod":
            continue
        current, total = _reported(rec)
        if rec.phase in _COMPLETE:
            current = total
        rec.progress = f"{current}/{total}"
        parent, seen = by_id.get(rec.parent_id or ""), set()
        while parent is not None and parent.id not in seen:  # iterative: no recursion limit
            seen.add(parent.id)
            acc = sums.setdefault(parent.id, [0, 0])
            acc[0] += current
            acc[1] += total
            parent = by_id.get(parent.parent_id or "")
    for node_id, (current, total) in sums.items():
        by_id[node_id].progress = f"{current}/{total}"
