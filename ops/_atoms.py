"""Shared helpers: structures on disk (extxyz) and calculators by name.

Structures travel between steps as extxyz files: a standard text format any tool
reads, which keeps the cell at full precision and the positions to 1e-8 Å.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dflow_like.python import FatalError

if TYPE_CHECKING:  # ASE is imported where it is used: building a workflow needs none of it
    from ase import Atoms
    from ase.calculators.calculator import Calculator

__all__ = ["CALCULATORS", "get_calculator", "read_structure", "write_structure"]

#: Calculators an OP can ask for by name; all run in-process, no external binaries.
CALCULATORS = ("emt",)


def read_structure(path: str | Path) -> Atoms:
    """Read one structure (the last frame) from an extxyz file."""
    from ase import Atoms
    from ase.io import read

    atoms = read(str(path), index=-1, format="extxyz")
    if not isinstance(atoms, Atoms):  # pragma: no cover - read(index=-1) returns one frame
        raise FatalError(f"{path}: expected one structure")
    return atoms


def write_structure(atoms: Atoms, path: str | Path) -> Path:
    """Write ``atoms`` as extxyz (creating parent directories) and return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    from ase.io import write

    write(str(out), atoms, format="extxyz")
    return out


def get_calculator(name: str) -> Calculator:
    """A fresh calculator by name; an unknown name is a ``FatalError`` (retrying won't help)."""
    key = name.lower()
    if key == "emt":
        from ase.calculators.emt import EMT

        return EMT()
    raise FatalError(f"unknown calculator {name!r}; available: {', '.join(CALCULATORS)}")
