from __future__ import annotations

from pathlib import Path

import pytest

from dflow_like.ops import BuildBulk, read_structure
from dflow_like.python import OPIO, FatalError, SignatureError


def test_fcc_conventional_cell_has_four_atoms_and_a_cubed_volume() -> None:
    out = BuildBulk().execute(OPIO({"element": "Cu", "a": 3.6}))
    atoms = read_structure(out["structure"])
    assert Path(out["structure"]).name == "structure.extxyz"
    assert out["natoms"] == len(atoms) == 4
    assert out["lattice_constant"] == 3.6
    assert out["volume"] == pytest.approx(3.6**3, rel=1e-12)
    assert atoms.get_chemical_symbols() == ["Cu"] * 4
    assert atoms.cell.lengths() == pytest.approx([3.6, 3.6, 3.6])


def test_supercell_repeats_the_cell() -> None:
    out = BuildBulk().execute(OPIO({"element": "Cu", "a": 3.6, "supercell": [2, 2, 3]}))
    atoms = read_structure(out["structure"])
    assert out["natoms"] == len(atoms) == 4 * 12
    assert out["volume"] == pytest.approx(12 * 3.6**3, rel=1e-12)
    assert out["lattice_constant"] == 3.6  # of the unit cell, not the supercell


def test_lattice_constant_defaults_to_ase_reference() -> None:
    out = BuildBulk().execute(OPIO({"element": "Al"}))
    assert out["lattice_constant"] == pytest.approx(4.05)
    assert out["volume"] == pytest.approx(4.05**3)


def test_primitive_cell() -> None:
    out = BuildBulk().execute(OPIO({"element": "Cu", "a": 3.6, "cubic": False}))
    assert out["natoms"] == 1
    assert out["volume"] == pytest.approx(3.6**3 / 4)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"element": "Cu", "crystal": "nonsense"}, "cannot build nonsense Cu"),
        ({"element": "Cu", "supercell": [2, 0, 1]}, "three positive integers"),
    ],
)
def test_bad_inputs_are_fatal(inputs: dict[str, object], message: str) -> None:
    with pytest.raises(FatalError, match=message):
        BuildBulk().execute(OPIO(inputs))


def test_signature_rejects_a_string_lattice_constant() -> None:
    with pytest.raises(SignatureError, match="'a'"):
        BuildBulk().execute(OPIO({"element": "Cu", "a": "3.6"}))
