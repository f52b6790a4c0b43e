"""Plot an equation of state to a PNG (matplotlib's Agg canvas: no display needed)."""

from __future__ import annotations

from pathlib import Path

from dflow_like.python import OP, OPIO, Artifact, FatalError, OPIOSign, Parameter

__all__ = ["PlotEOS"]


class PlotEOS(OP):
    """Draw the computed E(V) points and ``FitEOS``'s fitted curve, V0 and B in the title.

    It draws a fit it is given (``FitEOS``'s ``curve_volumes``, ``curve_energies``,
    ``v0``, ``bulk_modulus_gpa``) and does not fit: the numbers in the picture are the
    fit step's own, and the step needs matplotlib alone, not ASE and SciPy. That
    matters to the local engine: a template whose imports share no package with the
    fan-outs' is imported on a worker of its own while the engine imports ASE for the
    energies (``dflow_like.engine.local.prefetch.early_plan``); a refitting branch, even
    one never taken, names ``ase.eos`` and rules that out. Uses a bare ``Figure`` (not
    ``pyplot``) so no global state or GUI backend is involved.
    """

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign(
            {
                "volumes": Parameter(list[float]),
                "energies": Parameter(list[float]),
                "curve_volumes": Parameter(list[float]),  # FitEOS's outputs, drawn as they are
                "curve_energies": Parameter(list[float]),
                "v0": Parameter(float),
                "bulk_modulus_gpa": Parameter(float),
                "eos": Parameter(str, default="sj"),  # the fit's label in the legend
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

        curve_v, curve_e = op_in["curve_volumes"], op_in["curve_energies"]
        if len(curve_v) != len(curve_e):
            raise FatalError(f"curve_volumes has {len(curve_v)} values but curve_energies {len(curve_e)}")
        v0, bulk = float(op_in["v0"]), float(op_in["bulk_modulus_gpa"])
        fig = Figure(figsize=(6, 4.5), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.plot(curve_v, curve_e, "-", color="C3", label=f"{op_in['eos']} fit")
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
