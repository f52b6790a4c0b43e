"""A notebook face: an HTML table of a run's steps, refreshed in place while it runs."""

from __future__ import annotations

import html
import time
from typing import Any

__all__ = ["watch", "workflow_html"]

_COLORS = {
    "Succeeded": "#2e7d32",
    "Failed": "#c62828",
    "Error": "#c62828",
    "Running": "#1565c0",
    "Skipped": "#757575",
}


def workflow_html(wf: Any) -> str:
    if wf.id is None:
        return f"<b>{html.escape(wf.name)}</b> (not submitted)"
    phase = wf.query_status()
    steps = [s for s in wf.query_step() if s.parent_id is not None]
    done = sum(1 for s in steps if s.phase in ("Succeeded", "Skipped"))
    rows = "".join(
        f"<tr><td>{html.escape(s.name)}</td><td style='color:{_COLORS.get(s.phase, '#000')}'>{s.phase}</td>"
        f"<td>{'' if s.duration is None else f'{s.duration:.2f} s'}</td><td>{html.escape(s.message[:80])}</td></tr>"
        for s in steps[-50:]
    )
    bar = f"<progress value='{done}' max='{max(len(steps), 1)}'></progress> {done}/{len(steps)}"
    return (
        f"<div><b>{html.escape(wf.id)}</b>: <span style='color:{_COLORS.get(phase, '#000')}'>{phase}</span> {bar}"
        f"<table><tr><th>step</th><th>phase</th><th>time</th><th>message</th></tr>{rows}</table></div>"
    )


def watch(wf: Any, interval: float = 0.5, timeout: float | None = None) -> str:
    """Refresh the table until the run ends; outside IPython, just wait."""
    try:
        from IPython.display import HTML, display
    except ImportError:
        return str(wf.wait(timeout))
    handle = display(HTML(workflow_html(wf)), display_id=True)  # type: ignore[no-untyped-call]
    deadline = None if timeout is None else time.monotonic() + timeout
    while wf.query_status() in ("Pending", "Running"):
        if deadline is not None and time.monotonic() > deadline:
            break
        time.sleep(interval)
        handle.update(HTML(workflow_html(wf)))  # type: ignore[no-untyped-call]
    handle.update(HTML(workflow_html(wf)))  # type: ignore[no-untyped-call]
    return str(wf.query_status())
