"""Steps a dead engine left ``Running``, shown as what they are.

The engine writes a step's end; when the engine itself is killed, its steps die with it
(their workers are its children) and nothing writes their end. The run then reads as
``Error`` (``LocalBackend.status``); its records say the same, rather than ``Running``
with a clock that keeps counting, until ``resume()`` runs them again in a fresh attempt.
"""

from __future__ import annotations

from ...records import StepRecord

__all__ = ["ORPHANED", "mark_orphaned"]

ORPHANED = "the engine died while this ran; resume() runs it again"


def mark_orphaned(records: list[StepRecord], why: str = ORPHANED) -> None:
    """Mark the ``Running`` records ``Error`` with ``why`` (in place; the state store is untouched)."""
    for rec in records:
        if rec.phase == "Running":
            rec.phase = "Error"
            rec.message = why
