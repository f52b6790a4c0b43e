"""Plot an equation of state to a PNG (matplotlib's Agg canvas: no display needed)."""

from __future__ import annotations

import math
from pathlib import Path

from dflow_like.python import OP, OPIO, Artifact, FatalError, OPIOSign, Parameter

from .eos import fit_eos

__all__ = ["PlotEOS"]


class PlotEOS(OP):
    """Draw the computed E(V) points and the fitted curve, V0 and B in the title.

    Given ``FitEOS``'s outputs (``curve_volumes``, ``curve_energies``, ``v0``,
    ``bulk_modulus_gpa``) it draws that fit; given the points alone it fits them itself
    (``fit_eos``: deterministic, so the numbers equal ``FitEOS``'s), so it can follow any
    step that produced volumes and energies. Drawing a given fit needs matplotlib only,
    not ASE and SciPy. Uses a bare ``Figure`` (not ``pyplot``) so no global state or GUI
    backend is involved.
    """

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign(
            {
                "volumes": Parameter(list[float]),
                "energies": Parameter(list[float]),
                "eos": Parameter(str, default="sj"),
                "title": Parameter(str, default=""),
                "filename": Parameter(str, default="eos.png"),
                "curve_volumes": Parameter(list[float] | None, default=None),  # FitEOS's: drawn, not refitted
                "curve_energies": Parameter(list[float] | None, default=None),
                "v0": Parameter(float | None, default=None),
                "bulk_modulus_gpa": Parameter(float | None, default=None),
            }
        )

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"plot": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        curve, v0, bulk = _given_fit(op_in)
        if curve is None:
            fit = fit_eos(op_in["volumes"], op_in["energies"], op_in["eos"])
            curve, v0, bulk = (fit.curve_volumes, fit.curve_energies), fit.v0, fit.bulk_modulus_gpa
        fig = Figure(figsize=(6, 4.5), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.plot(*curve, "-", color="C3", label=f"{op_in['eos']} fit")
        ax.plot(op_in["volumes"], op_in["energies"], "o", color="C0", label="computed")
        ax.axvline(v0, color="0.6", ls=":", lw=1)
        ax.set_xlabel("volume [Å$^3$]")
        ax.set_ylabel("energy [eV]")
        head = f"{op_in['title']}: " if op_in["title"] else ""
        ax.set_title(f"{head}V0 = {v0:.3f} Å$^3$, B = {bulk:.1f} GPa")
        ax.legend()
        fig.tight_layout()
        out = Path(op_in["filename"])
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, format="png")
        return OPIO({"plot": out})


_FIT = ("curve_volumes", "curve_energies", "v0", "bulk_modulus_gpa")


def _given_fit(op_in: OPIO) -> tuple[tuple[list[float], list[float]] | None, float, float]:
    """``FitEOS``'s outputs when they were all given; a part of them is an error, not a refit."""
    given = [name for name in _FIT if op_in[name] is not None]
    if not given:
        return None, math.nan, math.nan
    missing = [name for name in _FIT if name not in given]
    if missing:
        raise FatalError(f"PlotEOS draws a given fit from all of {', '.join(_FIT)}; missing: {', '.join(missing)}")
    if len(op_in["curve_volumes"]) != len(op_in["curve_energies"]):
        raise FatalError(
            f"curve_volumes has {len(op_in['curve_volumes'])} values but curve_energies {len(op_in['curve_energies'])}"
        )
    return (op_in["curve_volumes"], op_in["curve_energies"]), float(op_in["v0"]), float(op_in["bulk_modulus_gpa"])
