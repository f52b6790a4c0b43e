from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.emt import EMT
from ase.io import write

from dflow_like.ops import SinglePoint
from dflow_like.python import OPIO, FatalError


def test_energy_and_volume_match_ase_emt(cu_cell: Atoms, cu_file: Path) -> None:
    out = SinglePoint().execute(OPIO({"structure": cu_file}))
    cu_cell.calc = EMT()
    assert out["energy"] == pytest.approx(cu_cell.get_potential_energy(), rel=1e-9, abs=1e-9)
    assert out["energy"] == pytest.approx(-0.0266, abs=5e-4)  # EMT Cu near equilibrium
    assert out["volume"] == pytest.approx(3.6**3)
    assert out["natoms"] == 4
    # a perfect crystal feels no force
    assert out["max_force"] < 1e-10
    assert len(out["forces"]) == 4 and all(len(f) == 3 for f in out["forces"])


def test_displaced_atom_feels_a_restoring_force(cu_cell: Atoms) -> None:
    cu_cell.positions[0, 0] += 0.1
    write("moved.extxyz", cu_cell, format="extxyz")
    out = SinglePoint().execute(OPIO({"structure": Path("moved.extxyz")}))
    cu_cell.calc = EMT()
    expected = cu_cell.get_forces()
    np.testing.assert_allclose(out["forces"], expected, atol=1e-6)
    assert out["forces"][0][0] < -0.1  # pushed back towards its site
    assert out["max_force"] == pytest.approx(float(((expected**2).sum(axis=1) ** 0.5).max()), abs=1e-6)


def test_unknown_calculator_is_fatal(cu_file: Path) -> None:
    with pytest.raises(FatalError, match="unknown calculator 'vasp'"):
        SinglePoint().execute(OPIO({"structure": cu_file, "calculator": "vasp"}))
