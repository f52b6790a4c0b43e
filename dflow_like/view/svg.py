"""Draw a laid-out plan as inline SVG, each node coloured by its phase."""

from __future__ import annotations

import html
from collections.abc import Callable

from .layout import Placed, layout
from .plan import TIMES, PlanNode
from .summary import FAILED, FINISHED, NodeState, RunSummary

__all__ = ["PHASE_COLORS", "item_counts", "phase_color", "render_svg"]

# (stroke, fill) by phase; a node not started yet is drawn dashed as part of the plan
PHASE_COLORS: dict[str, tuple[str, str]] = {
    "Succeeded": ("#2e7d32", "#e8f5e9"),
    "Failed": ("#c62828", "#ffebee"),
    "Error": ("#c62828", "#ffebee"),
    "Running": ("#1565c0", "#e3f2fd"),
    "Pending": ("#9e9e9e", "#ffffff"),
    "Skipped": ("#757575", "#f5f5f5"),
    "Omitted": ("#757575", "#f5f5f5"),
}
MAX_EDGES = 400  # per container; layers already show the order when there are more


def phase_color(phase: str) -> tuple[str, str]:
    return PHASE_COLORS.get(phase, PHASE_COLORS["Pending"])


def item_counts(items: dict[str, int]) -> str:
    """``18 ✓ 2 ✗ 1 ⟳``: a fan-out's items by outcome."""
    ok = items.get("Succeeded", 0) + items.get("Skipped", 0)
    bad = sum(items.get(p, 0) for p in FAILED)
    running = sum(n for p, n in items.items() if p not in FINISHED)
    parts = [f"{ok} ✓"] + ([f"{bad} ✗"] if bad else []) + ([f"{running} ⟳"] if running else [])
    return " ".join(parts)


def _duration(state: NodeState, now: float) -> str:
    if state.start is None:
        return ""
    seconds = (state.end if state.end is not None else now) - state.start
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _labels(node: PlanNode, state: NodeState | None, now: float) -> tuple[str, str]:
    if node.fan_out or node.kind == "Collapsed":
        planned = node.items if node.fan_out else node.size  # a collapsed container knows its children
        total = sum(state.items.values()) if state and state.items else planned
        count = f" {TIMES}{total}" if total is not None else f" {TIMES}?"
        what = "" if node.fan_out else " steps"
        sub = item_counts(state.items) if state and state.items else (state.phase if state else "planned")
        return f"{node.name}{count}{what}", sub
    if node.kind == "Recursive":
        return f"{node.name} ↻", state.phase if state else "planned"
    if state is None:
        return node.name, "planned"
    dur = _duration(state, now)
    return node.name, f"{state.phase}{'  ' + dur if dur else ''}"


def _leaf(p: Placed, state: NodeState | None, now: float, link: str | None) -> str:
    node = p.node
    phase = state.phase if state else "Pending"
    stroke, fill = phase_color(phase)
    title, sub = _labels(node, state, now)
    dash = "" if state else " stroke-dasharray='5 3'"
    tip = html.escape(
        f"{node.name} ({node.template}): {phase}" + (f"\n{state.message}" if state and state.message else "")
    )
    parts = [
        f"<rect width='{p.w:.0f}' height='{p.h:.0f}' rx='6' fill='{fill}' stroke='{stroke}' stroke-width='1.5'{dash}/>",
        f"<text x='10' y='19' font-weight='600'>{html.escape(title)}</text>",
        f"<text x='10' y='36' fill='{stroke}' font-size='11'>{html.escape(sub)}</text>",
    ]
    if state is not None and state.items:
        total = sum(state.items.values())
        x = 0.0
        for ph in ("Succeeded", "Skipped", "Failed", "Error", "Running"):
            width = (p.w - 12) * state.items.get(ph, 0) / total
            if width > 0:
                parts.append(
                    f"<rect x='{6 + x:.1f}' y='{p.h - 5:.0f}' width='{width:.1f}' height='3' "
                    f"fill='{phase_color(ph)[0]}'/>"
                )
                x += width
    body = "".join(parts)
    if link:
        body = f"<a href='{html.escape(link)}'>{body}</a>"
    return (
        f"<g class='node' transform='translate({p.x:.1f},{p.y:.1f})' data-name='{html.escape(node.name)}' "
        f"data-phase='{phase}'><title>{tip}</title>{body}</g>"
    )


def _container(p: Placed, summary: RunSummary, now: float, link: Callable[[PlanNode], str | None]) -> str:
    node = p.node
    state = summary.states.get(node.path)
    phase = state.phase if state else "Pending"
    stroke, _ = phase_color(phase)
    out = [
        f"<g class='group' transform='translate({p.x:.1f},{p.y:.1f})' data-name='{html.escape(node.name)}' "
        f"data-phase='{phase}'>",
        f"<rect width='{p.w:.0f}' height='{p.h:.0f}' rx='8' fill='#fafafa' stroke='{stroke}' stroke-dasharray='4 3'/>",
        f"<text x='10' y='16' font-size='11' fill='#555'>{html.escape(node.name)} · {node.kind}"
        f"{' · ' + phase if state else ''}</text>",
    ]
    for a, b in node.edges[:MAX_EDGES]:
        s, t = p.children[a], p.children[b]
        x1, y1, x2, y2 = s.x + s.w / 2, s.y + s.h, t.x + t.w / 2, t.y
        mid = (y1 + y2) / 2
        out.append(
            f"<path d='M{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{y2:.1f}' class='edge'/>"
        )
    for child in p.children:
        if child.children:
            out.append(_container(child, summary, now, link))
        else:
            out.append(_leaf(child, summary.states.get(child.node.path), now, link(child.node)))
    out.append("</g>")
    return "".join(out)


def render_svg(
    plan: PlanNode, summary: RunSummary, now: float, link: Callable[[PlanNode], str | None] | None = None
) -> str:
    """The whole plan as one ``<svg>`` element (self-contained styles, no scripts)."""
    placed = layout(plan)
    links = link or (lambda _node: None)
    body = (
        _container(placed, summary, now, links)
        if placed.children
        else _leaf(placed, summary.states.get(plan.path), now, links(plan))
    )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' class='dflow-graph' width='{placed.w + 2:.0f}' "
        f"height='{placed.h + 2:.0f}' viewBox='-1 -1 {placed.w + 2:.0f} {placed.h + 2:.0f}' "
        "font-family='sans-serif' font-size='13'>"
        "<style>.edge{fill:none;stroke:#90a4ae;stroke-width:1.2}</style>"
        f"{body}</svg>"
    )
