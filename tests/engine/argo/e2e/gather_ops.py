"""OPs for the partial and empty fan-out tests (a module of its own, so pods and the engine get it by value)."""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

from dflow_like.python import OP, Artifact


class Square(TypedDict):
    sq: int
    note: Artifact(Path)  # type: ignore[valid-type]


@OP.function
def square_or_fail(n: int) -> Square:
    """``n*n`` and a note file; items whose ``n`` is odd fail."""
    if n % 2:
        raise ValueError(f"odd item {n}")
    note = Path(f"note{n}.txt")
    note.write_text(f"{n}^2")
    return {"sq": n * n, "note": note}


class Seen(TypedDict):
    values: list[int | None]
    files: list[str]


@OP.function
def collect(values: list[int | None], notes: Artifact(list[Path], optional=True)) -> Seen:  # type: ignore[valid-type]
    """What a consumer of gathered outputs receives: the values in place, and the note files."""
    files = sorted(Path(p).read_text() for p in notes or [] if p is not None)
    return {"values": list(values), "files": files}


class Count(TypedDict):
    n: int


@OP.function
def twice(n: int) -> Count:
    return {"n": 2 * n}


class Squared(TypedDict):
    sq: int


@OP.function
def square_unless_odd(n: int) -> Squared:
    """``n*n``; items whose ``n`` is odd fail (no artifacts: a grouped step's outputs are parameters)."""
    if n % 2:
        raise ValueError(f"odd item {n}")
    return {"sq": n * n}


class Total(TypedDict):
    values: list[int | None]
    total: int


@OP.function
def total(values: list[int | None]) -> Total:
    """A consumer of a grouped step's gathered values: them in place, and their sum."""
    return {"values": list(values), "total": sum(v for v in values if v is not None)}
