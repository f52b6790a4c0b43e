"""Equation-of-state fit: equilibrium volume, energy, bulk modulus (and lattice constant)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from dflow_like.python import OP, OPIO, FatalError, OPIOSign, Parameter

__all__ = ["EOS_NAMES", "EOSFit", "FitEOS", "fit_eos"]

#: The forms ``ase.eos.EquationOfState`` knows; ``sj`` (stabilised jellium) is ASE's default.
EOS_NAMES = (
    "sj",
    "taylor",
    "murnaghan",
    "birch",
    "birchmurnaghan",
    "pouriertarantola",
    "vinet",
    "anton-schmidt",
    "p3",
)


@dataclass(frozen=True)
class EOSFit:
    """A fitted EOS: the numbers, plus the curve sampled for plotting."""

    eos: str
    v0: float  # Å³
    e0: float  # eV
    bulk_modulus: float  # eV/Å³, ASE's unit
    curve_volumes: list[float]
    curve_energies: list[float]

    @property
    def bulk_modulus_gpa(self) -> float:
        from ase.units import kJ

        return self.bulk_modulus / kJ * 1.0e24


def fit_eos(volumes: list[float], energies: list[float], eos: str = "sj") -> EOSFit:
    """Fit with ``ase.eos.EquationOfState`` so results match ASE's to the last bit.

    A fit whose minimum lies outside the sampled volumes is an error, not a warning:
    its bulk modulus would be an extrapolation nobody should publish.
    """
    if eos not in EOS_NAMES:
        raise FatalError(f"unknown equation of state {eos!r}; use one of {EOS_NAMES}")
    if len(volumes) != len(energies):
        raise FatalError(f"{len(volumes)} volumes but {len(energies)} energies")
    if len(volumes) < 5:
        raise FatalError(f"an EOS fit needs at least 5 points, got {len(volumes)}")
    from ase.eos import EquationOfState

    fit = EquationOfState(volumes, energies, eos=eos)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the bracketing check below says it better
            v0, e0, bulk = fit.fit()
    except (ValueError, RuntimeError) as exc:  # "No minimum!" / curve_fit not converging
        raise FatalError(f"EOS fit ({eos}) failed: {exc}") from exc
    if not min(volumes) <= v0 <= max(volumes):
        raise FatalError(
            f"EOS minimum V0={v0:.4f} Å³ lies outside the sampled volumes "
            f"[{min(volumes):.4f}, {max(volumes):.4f}]: widen the scan"
        )
    _, _, _, _, x, y, _, _ = fit.getplotdata()
    return EOSFit(eos, float(v0), float(e0), float(bulk), np.asarray(x).tolist(), np.asarray(y).tolist())


class FitEOS(OP):
    """Fit E(V) and report V0, E0 and the bulk modulus (eV/Å³ and GPa), and the fitted
    curve (``curve_volumes``, ``curve_energies``) that ``PlotEOS`` draws.

    Given the volume and lattice constant of the reference structure that was scaled
    isotropically, it also returns the equilibrium lattice constant
    ``a0 = a_ref * (V0 / V_ref) ** (1/3)`` (NaN when they are not given).
    """

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign(
            {
                "volumes": Parameter(list[float]),
                "energies": Parameter(list[float]),
                "eos": Parameter(str, default="sj"),
                "reference_volume": Parameter(float | None, default=None),
                "reference_lattice_constant": Parameter(float | None, default=None),
            }
        )

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign(
            {
                "v0": Parameter(float),
                "e0": Parameter(float),
                "bulk_modulus": Parameter(float),
                "bulk_modulus_gpa": Parameter(float),
                "lattice_constant": Parameter(float),
                "curve_volumes": Parameter(list[float]),  # the fitted E(V), sampled for ``PlotEOS``
                "curve_energies": Parameter(list[float]),
            }
        )

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        fit = fit_eos(op_in["volumes"], op_in["energies"], op_in["eos"])
        v_ref, a_ref = op_in["reference_volume"], op_in["reference_lattice_constant"]
        a0 = math.nan if v_ref is None or a_ref is None else a_ref * (fit.v0 / v_ref) ** (1 / 3)
        return OPIO(
            {
                "v0": fit.v0,
                "e0": fit.e0,
                "bulk_modulus": fit.bulk_modulus,
                "bulk_modulus_gpa": fit.bulk_modulus_gpa,
                "lattice_constant": float(a0),
                "curve_volumes": fit.curve_volumes,
                "curve_energies": fit.curve_energies,
            }
        )
