"""The notebook view of a run: header, progress over the whole plan, the graph, failures."""

from __future__ import annotations

import html
import time

from .logs import tail
from .plan import PlanNode
from .summary import RunSummary
from .svg import phase_color, render_svg

__all__ = ["run_html"]

LOG_TAILS = 5  # failures shown with their log tail


def _elapsed(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{sec:02d}" if minutes >= 60 else f"{minutes}:{sec:02d} min"


def header_html(summary: RunSummary, now: float) -> str:
    stroke, _ = phase_color(summary.phase if summary.submitted else "Pending")
    ident = html.escape(summary.wf_id) if summary.wf_id else f"{html.escape(summary.name)} (not submitted: the plan)"
    counts = " · ".join(
        f"<span style='color:{phase_color(p)[0]}'>{n} {html.escape(p)}</span>"
        for p, n in sorted(summary.counts.items())
    )
    percent = 100 * summary.done / summary.total if summary.total else 0.0
    elapsed = _elapsed(summary.elapsed(now)) if summary.submitted else ""
    message = f" <i>{html.escape(summary.message)}</i>" if summary.message else ""
    return (
        f"<div class='dflow-header'><b>{ident}</b> "
        f"<span class='dflow-phase' style='color:{stroke};font-weight:600'>"
        f"{html.escape(summary.phase) if summary.submitted else 'Planned'}</span>"
        f"{' · ' + elapsed if elapsed else ''}{message}<br>"
        f"<progress class='dflow-progress' value='{summary.done}' max='{max(summary.total, 1)}'></progress> "
        f"<span class='dflow-progress-text'>{summary.done}/{summary.total} steps done ({percent:.0f}%)</span>"
        f"{' · ' + counts if counts else ''}</div>"
    )


def failures_html(summary: RunSummary) -> str:
    if not summary.failures:
        return ""
    rows = []
    for i, failure in enumerate(summary.failures):
        log = tail(failure.log_path) if i < LOG_TAILS else ""
        details = (
            f"<details><summary>log tail</summary><pre style='max-height:16em;overflow:auto'>{html.escape(log)}</pre>"
            "</details>"
            if log
            else ""
        )
        rows.append(
            f"<tr><td>{html.escape(failure.name)}</td><td style='text-align:left'>"
            f"<pre style='white-space:pre-wrap;margin:0'>{html.escape(failure.message[-2000:])}</pre>"
            f"{details}</td></tr>"
        )
    more = summary.failed_total - len(summary.failures)
    extra = f"<div>… and {more} more failed steps</div>" if more > 0 else ""
    return (
        f"<div class='dflow-failures'><b style='color:{phase_color('Failed')[0]}'>{summary.failed_total} failed</b>"
        f"<table><tr><th>step</th><th style='text-align:left'>message</th></tr>{''.join(rows)}</table>{extra}</div>"
    )


def run_html(plan: PlanNode, summary: RunSummary, now: float | None = None) -> str:
    """The whole view as one HTML fragment (inline SVG, no scripts: safe in any notebook)."""
    now = time.time() if now is None else now
    graph = render_svg(plan, summary, now)
    return (
        f"<div class='dflow-run'>{header_html(summary, now)}"
        f"<div class='dflow-graph-box' style='overflow:auto;max-height:640px'>{graph}</div>"
        f"{failures_html(summary)}</div>"
    )
