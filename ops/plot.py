"""Plot an equation of state to a PNG (matplotlib's Agg canvas: no display needed)."""

from __future__ import annotations

from pathlib import Path

from dflow_like.python import OP, OPIO, Artifact, OPIOSign, Parameter

from .eos import fit_eos

__all__ = ["PlotEOS"]


class PlotEOS(OP):
    """Draw the computed E(V) points and the fitted curve, V0 and B in the title.

    It refits from the points rather than taking the curve as input, so it can follow
    any step that produced volumes and energies; the fit is deterministic, so the
    numbers shown equal ``FitEOS``'s. Uses a bare ``Figure`` (not ``pyplot``) so no
    global state or GUI backend is involved.
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
            }
        )

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"plot": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fit = fit_eos(op_in["volumes"], op_in["energies"], op_in["eos"])
        fig = Figure(figsize=(6, 4.5), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.plot(fit.curve_volumes, fit.curve_energies, "-", color="C3", label=f"{fit.eos} fit")
        ax.plot(op_in["volumes"], op_in["energies"], "o", color="C0", label="computed")
        ax.axvline(fit.v0, color="0.6", ls=":", lw=1)
        ax.set_xlabel("volume [Å$^3$]")
        ax.set_ylabel("energy [eV]")
        head = f"{op_in['title']}: " if op_in["title"] else ""
        ax.set_title(f"{head}V0 = {fit.v0:.3f} Å$^3$, B = {fit.bulk_modulus_gpa:.1f} GPa")
        ax.legend()
        fig.tight_layout()
        out = Path(op_in["filename"])
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, format="png")
        return OPIO({"plot": out})
