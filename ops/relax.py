"""Structure relaxation, and the random displacement that gives it something to do."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dflow_like.python import OP, OPIO, Artifact, FatalError, OPIOSign, Parameter

from ._atoms import get_calculator, read_structure, write_structure

__all__ = ["Rattle", "Relax"]

_OPTIMIZERS = ("BFGS", "FIRE", "LBFGS")


class Rattle(OP):
    """Displace every atom by Gaussian noise (``stdev`` Å), reproducibly from ``seed``."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign(
            {
                "structure": Artifact(Path),
                "stdev": Parameter(float, default=0.05),
                "seed": Parameter(int, default=42),
            }
        )

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"structure": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        atoms = read_structure(op_in["structure"])
        atoms.rattle(stdev=op_in["stdev"], seed=op_in["seed"])
        return OPIO({"structure": write_structure(atoms, "rattled.extxyz")})


class Relax(OP):
    """Relax atomic positions (and the cell, if asked) for at most ``steps`` optimizer steps.

    ``steps`` is a budget per call, not a promise of convergence: ``converged`` tells
    whether ``max_force < fmax``, so a workflow can call ``Relax`` again on its output
    until it is (see ``examples/recursion.py``).
    """

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign(
            {
                "structure": Artifact(Path),
                "fmax": Parameter(float, default=0.01),
                "steps": Parameter(int, default=200),
                "optimizer": Parameter(str, default="BFGS"),
                "relax_cell": Parameter(bool, default=False),
                "calculator": Parameter(str, default="emt"),
            }
        )

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign(
            {
                "structure": Artifact(Path),
                "energy": Parameter(float),
                "max_force": Parameter(float),
                "converged": Parameter(bool),
                "n_steps": Parameter(int),
            }
        )

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        import ase.optimize
        from ase.filters import FrechetCellFilter

        name = op_in["optimizer"].upper()
        if name not in _OPTIMIZERS:
            raise FatalError(f"unknown optimizer {op_in['optimizer']!r}; use one of {_OPTIMIZERS}")
        atoms = read_structure(op_in["structure"])
        atoms.calc = get_calculator(op_in["calculator"])
        target = FrechetCellFilter(atoms) if op_in["relax_cell"] else atoms
        optimizer = getattr(ase.optimize, name)(target, logfile=None)
        optimizer.run(fmax=op_in["fmax"], steps=op_in["steps"])
        forces = np.asarray(target.get_forces())
        max_force = float(np.linalg.norm(forces, axis=1).max()) if len(forces) else 0.0
        energy = float(atoms.get_potential_energy())
        atoms.calc = None  # write the bare structure, not stale calculator results
        return OPIO(
            {
                "structure": write_structure(atoms, "relaxed.extxyz"),
                "energy": energy,
                "max_force": max_force,
                "converged": max_force < op_in["fmax"],
                "n_steps": int(optimizer.nsteps),
            }
        )
