"""A layered layout of a nested plan, computed here: no Graphviz, no system binary.

Each container is laid out as layers (a ``Steps`` stage or a ``DAG`` depth), top to
bottom; inside a layer, nodes are ordered by the mean position of their predecessors
(one barycentre sweep, the core of Sugiyama's method), and each layer is centred.
Containers are sized from their children first, so nested ``Steps``/``DAG`` become boxes.
Positions are relative to the parent box; the depth of nesting is bounded by the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .plan import TIMES, PlanNode

__all__ = ["Placed", "layout"]

LEAF_H = 46
LEAF_MIN_W, LEAF_MAX_W = 120, 240
CHAR_W = 7.2  # a 13 px sans-serif character, about
TITLE_CHAR_W = 6.4  # an 11 px one (container titles)
GAP_X, GAP_Y = 16, 30
PAD, TITLE = 12, 22


@dataclass
class Placed:
    node: PlanNode
    x: float = 0.0  # relative to the parent box
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    children: list[Placed] = field(default_factory=list)  # same order as ``node.children``


def _label_width(text: str) -> float:
    return min(LEAF_MAX_W, max(LEAF_MIN_W, CHAR_W * len(text) + 28))


def _layers(node: PlanNode) -> list[list[int]]:
    """Children indices by layer, each layer ordered by its predecessors' mean position."""
    by_rank: dict[int, list[int]] = {}
    for i, child in enumerate(node.children):
        by_rank.setdefault(child.rank, []).append(i)
    preds: dict[int, list[int]] = {}
    for a, b in node.edges:
        preds.setdefault(b, []).append(a)
    position: dict[int, float] = {}
    layers: list[list[int]] = []
    for rank in sorted(by_rank):
        members = by_rank[rank]

        def centre(i: int, members: list[int] = members) -> float:
            known = [position[p] for p in preds.get(i, []) if p in position]
            return sum(known) / len(known) if known else float(members.index(i))

        ordered = sorted(members, key=centre)
        for pos, i in enumerate(ordered):
            position[i] = pos - (len(ordered) - 1) / 2
        layers.append(ordered)
    return layers


def layout(node: PlanNode, title_width: float = 0.0) -> Placed:
    """Sizes and relative positions of ``node`` and everything drawn inside it."""
    placed = Placed(node)
    if not node.is_container or not node.children:
        label = f"{node.name} {TIMES}{node.items or 'N'}" if node.fan_out else node.name
        placed.w, placed.h = _label_width(label), LEAF_H
        return placed
    placed.children = [layout(c) for c in node.children]
    rows = _layers(node)
    widths = [sum(placed.children[i].w for i in row) + GAP_X * (len(row) - 1) for row in rows]
    heights: list[float] = [max(placed.children[i].h for i in row) for row in rows]
    title = TITLE_CHAR_W * (len(node.name) + len(node.kind) + len(" ·  · Succeeded"))  # as svg.py writes it
    inner = max([*widths, title, title_width])
    y: float = TITLE + PAD
    for row, width, height in zip(rows, widths, heights):
        x = PAD + (inner - width) / 2
        for i in row:
            child = placed.children[i]
            child.x, child.y = x, y + (height - child.h) / 2
            x += child.w + GAP_X
        y += height + GAP_Y
    placed.w, placed.h = inner + 2 * PAD, y - GAP_Y + PAD
    return placed
