"""A live progress display in a terminal (``wf.wait(progress=True)``, ``dflow-like watch``).

Built on ``rich``: it redraws in place on a terminal and prints plain final lines when
the output is a file or a pipe. The same summaries as the notebook view feed it.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from .plan import TIMES, PlanNode, iter_nodes
from .source import plan_for, summarize
from .summary import FINISHED, RunSummary
from .svg import item_counts, phase_color

__all__ = ["render_summary", "wait_with_progress"]

MAX_ROWS = 12
FINAL = ("Succeeded", "Failed", "Error")


def _rows(plan: PlanNode, summary: RunSummary) -> list[tuple[str, str, str, str]]:
    """Drawn leaves worth a line: running first, then failed, then the rest of what started."""
    rows: list[tuple[int, str, str, str, str]] = []
    for node in iter_nodes(plan):
        if node.children and not node.fan_out:
            continue
        state = summary.states.get(node.path)
        if state is None or node.path == "":
            continue
        order = 0 if state.phase not in FINISHED else 1 if state.phase in ("Failed", "Error") else 2
        detail = item_counts(state.items) if state.items else (state.message.splitlines() or [""])[-1][:60]
        end = state.end if state.end is not None else time.time()
        dur = f"{end - state.start:.1f}s" if state.start is not None else ""
        label = f"{node.name} {TIMES}{sum(state.items.values())}" if state.items else node.name
        rows.append((order, label, state.phase, dur, detail))
    rows.sort(key=lambda r: r[0])
    return [r[1:] for r in rows[:MAX_ROWS]]


def render_summary(plan: PlanNode, summary: RunSummary) -> Group:
    """A header line, a bar over the whole plan, and the steps worth seeing."""
    color = phase_color(summary.phase)[0]
    elapsed = summary.elapsed()
    head = Text.assemble(
        (summary.wf_id or summary.name, "bold"), "  ", (summary.phase, f"bold {color}"),
        f"  {elapsed:.1f}s" if elapsed is not None else "",
        "  " + "  ".join(f"{n} {p}" for p, n in sorted(summary.counts.items())),
    )  # fmt: skip
    bar = Table.grid(padding=(0, 1))
    bar.add_row(
        ProgressBar(total=max(summary.total, 1), completed=summary.done, width=40),
        f"{summary.done}/{summary.total} steps",
    )
    table = Table(box=None, padding=(0, 1), show_header=False)
    for name, phase, dur, detail in _rows(plan, summary):
        table.add_row(name, Text(phase, style=phase_color(phase)[0]), dur, detail)
    parts: list[Any] = [head, bar, table]
    if summary.message:
        parts.append(Text(summary.message, style="italic"))
    return Group(*parts)


def wait_with_progress(
    wf: Any, timeout: float | None = None, interval: float = 0.25, console: Console | None = None
) -> str:
    """Show the run's progress in place until it ends (or ``timeout`` passes); its final phase."""
    backend = type(wf._backend())()  # never reaps the caller's engine process
    plan = plan_for(wf, backend)
    deadline = None if timeout is None else time.monotonic() + timeout
    console = console or Console(stderr=True)
    summary = summarize(wf, plan, backend)
    with Live(render_summary(plan, summary), console=console, refresh_per_second=8, transient=False) as live:
        while summary.phase not in FINAL:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"workflow {wf.id!r} still {summary.phase} after {timeout} s")
            time.sleep(interval)
            summary = summarize(wf, plan, backend)
            live.update(render_summary(plan, summary))
    return wf.wait(timeout=5.0) if hasattr(wf, "wait") else summary.phase
