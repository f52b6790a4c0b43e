"""A run's steps at a glance: an HTML table in a notebook, refreshed in place while it
runs, and the same as plain text in a console (IPython's terminal, ``python``)."""

from __future__ import annotations

import html
import sys
import time
from typing import Any

__all__ = ["in_notebook", "watch", "workflow_html", "workflow_text"]

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
        f"<td>{_seconds(s.queued)}</td><td>{_seconds(s.duration)}</td>"
        f"<td>{html.escape(s.message[:80])}</td></tr>"
        for s in steps[-50:]
    )
    bar = f"<progress value='{done}' max='{max(len(steps), 1)}'></progress> {done}/{len(steps)}"
    return (
        f"<div><b>{html.escape(wf.id)}</b>: <span style='color:{_COLORS.get(phase, '#000')}'>{phase}</span> {bar}"
        f"<table><tr><th>step</th><th>phase</th><th>queued</th><th>ran</th><th>message</th></tr>{rows}</table></div>"
    )


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f} s"


def workflow_text(wf: Any, last: int = 20) -> str:
    """The plain-text twin of ``workflow_html``: a header line, then the last steps."""
    if wf.id is None:
        return f"{wf.name} (not submitted)"
    phase = wf.query_status()
    steps = [s for s in wf.query_step() if s.parent_id is not None]
    done = sum(1 for s in steps if s.phase in ("Succeeded", "Skipped"))
    message = wf.query_message() if phase in ("Failed", "Error") else ""
    lines = [f"{wf.id}: {phase}, {done}/{len(steps)} steps done{'  ' + message if message else ''}"]
    if len(steps) > last:
        lines.append(f"  ... {len(steps) - last} earlier steps")
    for s in steps[-last:]:
        note = f"  {s.message[:80]}" if s.message and s.phase != "Succeeded" else ""
        lines.append(f"  {s.name:<30} {s.phase:<10} {_seconds(s.queued):>9} {_seconds(s.duration):>9}{note}")
    return "\n".join(lines)


def in_notebook() -> bool:
    """Whether a notebook front end shows our output (a Jupyter kernel), not a terminal."""
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    ipython = get() if get is not None else None
    return ipython is not None and getattr(ipython, "kernel", None) is not None


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


def watch(wf: Any, interval: float = 0.5, timeout: float | None = None) -> str:
    """Refresh the table until the run ends (in a console: print it as it changes)."""
    if not in_notebook():
        return _watch_text(wf, interval, timeout)
    from IPython.display import HTML, display

    handle = display(HTML(workflow_html(wf)), display_id=True)  # type: ignore[no-untyped-call]
    deadline = None if timeout is None else time.monotonic() + timeout
    while wf.query_status() in ("Pending", "Running"):
        if deadline is not None and time.monotonic() > deadline:
            break
        time.sleep(interval)
        handle.update(HTML(workflow_html(wf)))  # type: ignore[no-untyped-call]
    handle.update(HTML(workflow_html(wf)))  # type: ignore[no-untyped-call]
    return str(wf.query_status())
