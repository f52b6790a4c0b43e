"""OPs whose artifacts the dashboard serves (a module of its own, so pods get it by value)."""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

from dflow_like.python import OP, Artifact

SINGLE = bytes(range(256)) * 64 + b"\x00end"  # not text: the bytes must come back as they were
TREE = {"a.txt": b"alpha\n", "sub/b.bin": bytes(range(255, -1, -1)) * 8, "sub/deeper/c.txt": b"gamma"}


class Made(TypedDict):
    single: Artifact(Path)  # type: ignore[valid-type]
    tree: Artifact(Path)  # type: ignore[valid-type]


@OP.function
def make() -> Made:
    """One binary file and one directory of files."""
    Path("result.bin").write_bytes(SINGLE)
    for rel, data in TREE.items():
        Path("tree", rel).parent.mkdir(parents=True, exist_ok=True)
        Path("tree", rel).write_bytes(data)
    return {"single": Path("result.bin"), "tree": Path("tree")}


class Note(TypedDict):
    note: Artifact(Path)  # type: ignore[valid-type]


@OP.function
def note(n: int) -> Note:
    """One small file per item."""
    path = Path(f"note{n}.txt")
    path.write_text(f"item {n}")
    return {"note": path}
