"""Syntax tree of an expr-lang expression: plain immutable records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "Array", "Binary", "Builtin", "Call", "Closure", "Cond", "Lit", "MapLit", "Member",
    "Name", "Node", "Ptr", "Slice", "Unary",
]  # fmt: skip


class Node:
    """Base of all nodes."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Lit(Node):
    value: Any


@dataclass(frozen=True, slots=True)
class Name(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Ptr(Node):
    """``#`` (current element), ``#index`` or ``#acc`` inside a predicate closure."""

    name: str


@dataclass(frozen=True, slots=True)
class Member(Node):
    obj: Node
    key: Node
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Slice(Node):
    obj: Node
    lo: Node | None
    hi: Node | None


@dataclass(frozen=True, slots=True)
class Call(Node):
    func: Node
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Closure(Node):
    body: Node


@dataclass(frozen=True, slots=True)
class Builtin(Node):
    """A predicate builtin (``map``, ``filter``...): its closure is evaluated per element."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str
    x: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Cond(Node):
    cond: Node
    then: Node
    other: Node


@dataclass(frozen=True, slots=True)
class Array(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class MapLit(Node):
    pairs: tuple[tuple[Node, Node], ...]
