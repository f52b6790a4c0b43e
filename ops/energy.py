"""Single-point energy, forces and stress of one structure."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dflow_like.python import OP, OPIO, Artifact, OPIOSign, Parameter

from ._atoms import get_calculator, read_structure

__all__ = ["SinglePoint"]


class SinglePoint(OP):
    """Energy (eV), forces (eV/Å) and the volume (Å³) of one structure.

    The volume comes back with the energy so a fanned-out step yields matching
    ``volume``/``energy`` lists for an EOS fit, whatever order the items finish in.
    """

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign(
            {
                "structure": Artifact(Path),
                "calculator": Parameter(str, default="emt"),
            }
        )

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign(
            {
                "energy": Parameter(float),
                "volume": Parameter(float),
                "natoms": Parameter(int),
                "forces": Parameter(list[list[float]]),
                "max_force": Parameter(float),
            }
        )

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        atoms = read_structure(op_in["structure"])
        atoms.calc = get_calculator(op_in["calculator"])
        energy = float(atoms.get_potential_energy())
        forces = np.asarray(atoms.get_forces(), dtype=float)
        return OPIO(
            {
                "energy": energy,
                "volume": float(atoms.get_volume()),
                "natoms": len(atoms),
                "forces": forces.tolist(),
                "max_force": float(np.linalg.norm(forces, axis=1).max()) if len(atoms) else 0.0,
            }
        )
