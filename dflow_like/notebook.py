"""The notebook face of a run: ``wf`` as a cell's value, and ``wf.watch()``.

The view (``view/html.py``) shows the run's id, phase, elapsed time and counts by phase,
progress over the whole plan, the graph coloured by phase (the plan before submit), and
failed steps with their messages and log tails. ``watch()`` refreshes it in place from a
background thread, so the kernel stays free; outside a kernel it waits with a progress bar.
"""

from __future__ import annotations

from typing import Any

__all__ = ["watch", "workflow_html"]


def workflow_html(wf: Any) -> str:
    from .view.html import run_html
    from .view.source import plan_for, summarize

    plan = plan_for(wf)
    return run_html(plan, summarize(wf, plan))


def watch(wf: Any, interval: float = 0.5, timeout: float | None = None) -> Any:
    """Start refreshing the view in place and return at once (a ``Watch``: ``stop()``, ``join()``).

    Outside a Jupyter kernel there is nothing to update in place: wait for the run with
    a terminal progress display and return its final phase.
    """
    from .view.watch import in_kernel, start_watch

    if wf.id is None:
        raise RuntimeError(f"workflow {wf.name!r} has not been submitted: submit() it, then watch()")
    if not in_kernel():
        from .view.terminal import wait_with_progress

        return wait_with_progress(wf, timeout)
    handle = start_watch(wf, interval, timeout)
    wf._watch = handle  # wait() joins it, so the view is final when wait() returns
    return handle
