"""Why a run failed, in one line: the steps whose failure failed it, and their errors.

A failed group names the children that failed it (``child step(s) 'a', 'b' failed``,
``task(s) 'x' failed``); a child that failed under ``continue_on_failed`` is not named
and did not fail the run. Following the named children down from the root ends at
the steps that caused the failure: those are what ``query_message()`` reports.
"""

from __future__ import annotations

import re

from ...records import StepRecord

__all__ = ["failure_message"]

FAILED = ("Failed", "Error")
SHOWN = 3  # causes quoted in full; the rest are counted
_QUOTED = re.compile(r"'([^']*)'")


def _causes(node: StepRecord, children: dict[str | None, list[StepRecord]]) -> list[StepRecord]:
    failed = [c for c in children.get(node.id, []) if c.phase in FAILED]
    named = set(_QUOTED.findall(node.message))
    blamed = [c for c in failed if c.name in named] or failed
    if not blamed:
        return [node]
    return [cause for child in blamed for cause in _causes(child, children)]


def _describe(rec: StepRecord, verb: str = "") -> str:
    how = "" if rec.phase == "Failed" else f" ({rec.phase})"
    return f"{rec.name}{verb}{how}: {rec.message or rec.phase}"


def failure_message(records: list[StepRecord]) -> str:
    """``step 'x' failed: ValueError: ...`` for a failed run's records; ``""`` if none failed."""
    children: dict[str | None, list[StepRecord]] = {}
    for rec in records:
        children.setdefault(rec.parent_id, []).append(rec)
    roots = [r for r in children.get(None, []) if r.phase in FAILED]
    causes = list({id(c): c for root in roots for c in _causes(root, children)}.values())
    if not causes:
        return ""
    if len(causes) == 1:
        return f"step {_describe(causes[0], ' failed')}"
    shown = "; ".join(_describe(c) for c in causes[:SHOWN])
    more = f"; and {len(causes) - SHOWN} more" if len(causes) > SHOWN else ""
    return f"{len(causes)} steps failed: {shown}{more}"
