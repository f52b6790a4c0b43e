"""Scale a lattice: one strained copy of a structure per scale factor (fan-out source)."""

from __future__ import annotations

from pathlib import Path

from dflow_like.python import OP, OPIO, Artifact, FatalError, OPIOSign, Parameter

from ._atoms import read_structure, write_structure

__all__ = ["ScaleLattice"]


class ScaleLattice(OP):
    """Write one structure per factor in ``scales``, each with its cell scaled isotropically.

    A factor multiplies the lattice *vectors* (so the volume goes as its cube) and the
    atoms move with the cell. The list of files is meant to be fanned out with
    ``Slices(input_artifact=["structure"])`` by the next step; ``volumes`` comes back in
    the same order.
    """

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign(
            {
                "structure": Artifact(Path),
                "scales": Parameter(list[float]),
            }
        )

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign(
            {
                "structures": Artifact(list[Path]),
                "volumes": Parameter(list[float]),
                "scales": Parameter(list[float]),
            }
        )

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        scales = [float(s) for s in op_in["scales"]]
        if not scales or min(scales) <= 0:
            raise FatalError(f"scales must be a non-empty list of positive numbers, got {scales}")
        reference = read_structure(op_in["structure"])
        paths: list[Path] = []
        volumes: list[float] = []
        for i, factor in enumerate(scales):
            atoms = reference.copy()
            atoms.set_cell(reference.cell * factor, scale_atoms=True)
            paths.append(write_structure(atoms, Path("scaled") / f"{i:04d}.extxyz"))
            volumes.append(float(atoms.get_volume()))
        return OPIO({"structures": paths, "volumes": volumes, "scales": scales})
