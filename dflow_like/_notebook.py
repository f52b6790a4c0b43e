"""The notebook face of a run: ``wf`` as a cell's value, and ``wf.watch()``.

The view (``view/html.py``) shows the run's id, phase, elapsed time and counts by phase,
progress over the whole plan, the graph coloured by phase (the plan before submit), and
failed steps with their messages and log tails. ``watch()`` refreshes it in place from a
background thread, so the kernel stays free; outside a kernel it waits with a progress bar.
"""

from __future__ import annotations

import sys
import time
from typing import Any

__all__ = ["watch", "workflow_html", "workflow_text"]


def workflow_html(wf: Any) -> str:
    from .view.html import run_html
    from .view.source import plan_for, summarize

    plan = plan_for(wf)
    return run_html(plan, summarize(wf, plan))


def watch(wf: Any, interval: float = 0.5, timeout: float | None = None) -> Any:
    """Start refreshing the view in place and return at once (a ``Watch``: ``stop()``, ``join()``).

    Outside a Jupyter kernel there is nothing to update in place: wait for the run with
    a live progress display in a terminal (or, when output is piped, print the step table
    whenever a step changes) and return its final phase.
    """
    from .view.watch import in_kernel, start_watch

    if wf.id is None:
        raise RuntimeError(f"workflow {wf.name!r} has not been submitted: submit() it, then watch()")
    if not in_kernel():
        if sys.stdout.isatty():  # a terminal: a live display in place
            from .view.terminal import wait_with_progress

            return wait_with_progress(wf, timeout)
        return _watch_text(wf, interval, timeout)  # piped or logged: a table whenever a step changes
    handle = start_watch(wf, interval, timeout)
    wf._watch = handle  # wait() joins it, so the view is final when wait() returns
    return handle


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f} s"


def workflow_text(wf: Any, last: int = 20) -> str:
    """The plain-text twin of ``workflow_html``: a header line, then the last steps."""
    if wf.id is None:
        return f"{wf.name} (not submitted)"
    from .view.source import plan_for, summarize

    steps = [s for s in wf.query_step() if s.parent_id is not None]
    summary = summarize(wf, plan_for(wf))  # the HTML view's counts: steps and items of the whole plan
    message = wf.query_message() if summary.phase in ("Failed", "Error") else ""
    lines = [f"{summary.headline()}{'  ' + message if message else ''}"]
    if len(steps) > last:
        lines.append(f"  ... {len(steps) - last} earlier steps")
    for s in steps[-last:]:
        note = f"  {s.message[:80]}" if s.message and s.phase != "Succeeded" else ""
        lines.append(f"  {s.name:<30} {s.phase:<10} {_seconds(s.queued):>9} {_seconds(s.duration):>9}{note}")
    return "\n".join(lines)


def _watch_text(wf: Any, interval: float, timeout: float | None) -> str:
    """In a console: print the table whenever a step changes phase, until the run ends."""
    deadline = None if timeout is None else time.monotonic() + timeout
    shown = ""
    while True:
        phase = wf.query_status()
        text = workflow_text(wf)
        if text != shown:
            print(text, flush=True)
            shown = text
        if phase not in ("Pending", "Running") or (deadline is not None and time.monotonic() > deadline):
            return str(phase)
        time.sleep(interval)
