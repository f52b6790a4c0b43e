"""Slices: fan one step out over a list, get the outputs back gathered and in order.

    python examples/slices.py

Seven metals, one cell relaxation each, all in parallel; then one step that receives
the seven lattice constants as a list and the seven relaxed cells as a list of files.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

from ase.build import bulk
from ase.filters import FrechetCellFilter
from ase.io import read, write
from ase.optimize import BFGS

from dflow_like import Step, Workflow, argo_len, argo_range
from dflow_like.ops import CHEM_IMAGE, get_calculator
from dflow_like.python import OP, Artifact, PythonOPTemplate, Slices

METALS = ["Al", "Ni", "Cu", "Pd", "Ag", "Pt", "Au"]  # the fcc metals EMT knows


class Relaxed(TypedDict):
    lattice_constant: float
    energy_per_atom: float
    cell: Artifact(Path)  # type: ignore[valid-type]


@OP.function
def relax_cell(element: str) -> Relaxed:
    """The EMT lattice constant of one fcc metal, by relaxing its cubic cell."""
    atoms = bulk(element, "fcc", cubic=True)
    atoms.calc = get_calculator("emt")
    BFGS(FrechetCellFilter(atoms), logfile=None).run(fmax=1e-4, steps=200)
    write(f"{element}.extxyz", atoms)
    return {
        "lattice_constant": float(atoms.cell.lengths()[0]),
        "energy_per_atom": float(atoms.get_potential_energy()) / len(atoms),
        "cell": Path(f"{element}.extxyz"),
    }


class Table(TypedDict):
    table: str


@OP.function
def tabulate(elements: list[str], a: list[float], cells: Artifact(list[Path])) -> Table:  # type: ignore[valid-type]
    """Join the gathered lists back up; reading the cells proves the files arrived in order."""
    rows = []
    for element, lattice, cell in zip(elements, a, cells):
        assert read(cell).get_chemical_symbols()[0] == element, (element, cell)
        rows.append(f"{element:3s} a = {lattice:.4f} Å")
    return {"table": "\n".join(rows)}


def build_workflow() -> Workflow:
    relax = Step(
        "relax",
        PythonOPTemplate(
            relax_cell,
            image=CHEM_IMAGE,
            slices=Slices(
                "{{item}}",
                input_parameter=["element"],
                output_parameter=["lattice_constant", "energy_per_atom"],
                output_artifact=["cell"],
            ),
        ),
        parameters={"element": METALS},
        with_param=argo_range(argo_len(METALS)),
    )
    table = Step(
        "tabulate",
        PythonOPTemplate(tabulate, image=CHEM_IMAGE),
        parameters={"elements": METALS, "a": relax.outputs.parameters["lattice_constant"]},
        artifacts={"cells": relax.outputs.artifacts["cell"]},
    )
    wf = Workflow(name="slices")
    wf.add(relax)
    wf.add(table)
    return wf


def main() -> None:
    wf = build_workflow()
    wf.submit()
    print(f"workflow {wf.id}: {wf.wait()}")
    items = [s for s in wf.query_step(name="relax") if s.type == "Pod"]
    print(f"{len(items)} slice items ran: {', '.join(sorted(s.name for s in items))}")
    print(wf.query_step(name="tabulate")[0].outputs.parameters["table"].value)


if __name__ == "__main__":
    main()
