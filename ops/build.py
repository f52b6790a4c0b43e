"""Build a bulk crystal (and a supercell of it)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from dflow_like.python import OP, OPIO, Artifact, FatalError, OPIOSign, Parameter

from ._atoms import write_structure

__all__ = ["BuildBulk"]


def _reference_a(element: str) -> float:
    """The lattice constant ``ase.build.bulk`` uses when none is given."""
    from ase.data import atomic_numbers, reference_states

    state: dict[str, Any] = reference_states[atomic_numbers[element]] or {}
    return float(state.get("a", math.nan))


class BuildBulk(OP):
    """A bulk crystal from ``ase.build.bulk``, repeated ``supercell`` times.

    Besides the structure it returns the lattice constant and the volume it was built
    with, so a later EOS fit can turn an equilibrium volume back into a lattice constant.
    """

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign(
            {
                "element": Parameter(str),
                "crystal": Parameter(str, default="fcc"),
                "a": Parameter(float | None, default=None),
                "cubic": Parameter(bool, default=True),
                "supercell": Parameter(list[int], default=[1, 1, 1]),
                "filename": Parameter(str, default="structure.extxyz"),
            }
        )

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign(
            {
                "structure": Artifact(Path),
                "lattice_constant": Parameter(float),
                "volume": Parameter(float),
                "natoms": Parameter(int),
            }
        )

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        supercell = list(op_in["supercell"])
        if len(supercell) != 3 or min(supercell) < 1:
            raise FatalError(f"supercell must be three positive integers, got {supercell}")
        try:
            from ase.build import bulk

            atoms = bulk(op_in["element"], op_in["crystal"], a=op_in["a"], cubic=op_in["cubic"])
        except (KeyError, ValueError, RuntimeError) as exc:
            raise FatalError(f"cannot build {op_in['crystal']} {op_in['element']}: {exc}") from exc
        a = float(op_in["a"]) if op_in["a"] is not None else _reference_a(op_in["element"])
        atoms = atoms.repeat(supercell)
        path = write_structure(atoms, op_in["filename"])
        return OPIO(
            {
                "structure": path,
                "lattice_constant": a,
                "volume": float(atoms.get_volume()),
                "natoms": len(atoms),
            }
        )
