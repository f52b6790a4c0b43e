"""A run in one line (phase, start, finish, step count), read without reading its steps.

``dflow-like list`` shows every run: reading each run's step records made it cost the
steps of all runs (a 100k-item run alone took seconds); a summary costs one state read
per run (issue 18).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RunListing", "list_runs"]


@dataclass(frozen=True)
class RunListing:
    """``started``/``finished`` are epoch seconds (None until then); ``steps`` counts the
    run's step records so far (each slice item is one), not the workflow's own."""

    id: str
    phase: str
    started: float | None
    finished: float | None
    steps: int


def list_runs() -> list[RunListing]:
    """A summary of every run the current engine knows (local: every run under the home)."""
    from .engine.backend import current_backend

    return current_backend().summaries()
