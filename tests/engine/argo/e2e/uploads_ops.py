"""OPs for the emulator tests (a module of its own, so pods and the engine get it by value)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TypedDict

from dflow_like.python import OP, Artifact


class Listing(TypedDict):
    files: list[str]


@OP.function
def list_files(tree: Artifact(Path)) -> Listing:  # type: ignore[valid-type]
    """The files under the input artifact, relative to what the OP was given."""
    root = Path(tree)
    return {"files": sorted(str(p.relative_to(root.parent)) for p in root.rglob("*") if p.is_file())}


class Done(TypedDict):
    done: bool


@OP.function
def nap(seconds: float) -> Done:
    time.sleep(seconds)
    return {"done": True}
