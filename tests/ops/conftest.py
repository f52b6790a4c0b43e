"""Shared pieces for the OP unit tests: the OPs run directly, in the test's own cwd."""

from __future__ import annotations

from pathlib import Path

import pytest
from ase import Atoms
from ase.build import bulk
from ase.io import write


@pytest.fixture
def cu_cell() -> Atoms:
    """The conventional 4-atom fcc Cu cell at a = 3.6 Å."""
    return bulk("Cu", "fcc", a=3.6, cubic=True)


@pytest.fixture
def cu_file(cu_cell: Atoms) -> Path:
    path = Path("cu.extxyz")
    write(path, cu_cell, format="extxyz")
    return path
