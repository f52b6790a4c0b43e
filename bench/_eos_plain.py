"""examples/eos.py's computation as a plain serial ASE script (bench/eos_vs_plain.py runs it).

Cu (EMT): build the cell, 20 scaled copies one after another, a single point each,
fit the EOS (sj), plot it to eos.png.
"""

from __future__ import annotations

import numpy as np
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.eos import EquationOfState
from ase.units import kJ
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def main() -> None:
    reference = bulk("Cu", "fcc", a=3.6, cubic=True)
    volumes, energies = [], []
    for factor in np.linspace(0.95, 1.05, 20):
        atoms = reference.copy()
        atoms.set_cell(reference.cell * factor, scale_atoms=True)
        atoms.calc = EMT()
        energies.append(float(atoms.get_potential_energy()))
        atoms.get_forces()
        volumes.append(float(atoms.get_volume()))
    eos = EquationOfState(volumes, energies, eos="sj")
    v0, _, b = eos.fit()
    fig = Figure(figsize=(6, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    _, _, _, _, curve_v, curve_e, _, _ = eos.getplotdata()
    ax.plot(curve_v, curve_e, "-", color="C3", label="sj fit")
    ax.plot(volumes, energies, "o", color="C0", label="computed")
    ax.set_xlabel("volume [Å$^3$]")
    ax.set_ylabel("energy [eV]")
    ax.set_title(f"Cu (EMT): V0 = {v0:.3f} Å$^3$, B = {b / kJ * 1.0e24:.1f} GPa")
    ax.legend()
    fig.tight_layout()
    fig.savefig("eos.png", format="png")
    print(f"V0 = {v0:.6f} Å^3, B = {b / kJ * 1.0e24:.6f} GPa")


if __name__ == "__main__":
    main()
