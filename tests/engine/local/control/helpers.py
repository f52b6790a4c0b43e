"""Small helpers shared by the control-flow tests."""

from __future__ import annotations

from pathlib import Path

from dflow_like import Workflow

TIMEOUT = 120


def run(wf: Workflow, **kwargs: object) -> str:
    wf.submit(**kwargs)  # type: ignore[arg-type]
    return wf.wait(timeout=TIMEOUT)


def peak_concurrency(log: Path) -> int:
    """Most runs that overlapped, from lines of 'start end' written by the OPs."""
    spans = [tuple(map(float, line.split())) for line in log.read_text().splitlines()]
    return max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
