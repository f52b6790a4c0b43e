"""A diamond DAG (A → B, C → D) that computes the vacancy formation energy of Cu (EMT).

    python examples/diamond_dag.py

A builds a 2x2x2 supercell; B and C both start from A's structure (an artifact) and run
in parallel: B takes the perfect crystal's energy, C removes one atom and relaxes the
rest (A and B come from ``dflow_like.ops``; C and D are plain functions made OPs).
D joins B's energy (a parameter) and C's relaxed structure and energy:
E_vac = E(N-1) - (N-1)/N * E(N). Task dependencies are inferred from the references.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

from ase.io import read, write

from dflow_like import DAG, Task, Workflow
from dflow_like.ops import CHEM_IMAGE, BuildBulk, Relax, SinglePoint
from dflow_like.python import OP, OPIO, Artifact, PythonOPTemplate


class Vacancy(TypedDict):
    structure: Artifact(Path)  # type: ignore[valid-type]
    energy: float


class Formation(TypedDict):
    energy: float
    natoms: int


@OP.function
def relaxed_vacancy(
    structure: Artifact(Path),  # type: ignore[valid-type]
    index: int = 0,
    fmax: float = 0.005,
) -> Vacancy:
    """C: take one atom out and relax the rest (OPs are plain classes: call one directly)."""
    atoms = read(structure)
    del atoms[index]
    write("vacancy.extxyz", atoms)
    out = Relax().execute(OPIO({"structure": Path("vacancy.extxyz"), "fmax": fmax}))
    return {"structure": out["structure"], "energy": out["energy"]}


@OP.function
def formation_energy(
    bulk_energy: float,
    bulk_atoms: int,
    vacancy_energy: float,
    vacancy: Artifact(Path),  # type: ignore[valid-type]
) -> Formation:
    """D: E_vac = E(N-1) - (N-1)/N E(N), counting the atoms in the relaxed file itself."""
    n = len(read(vacancy))
    return {"energy": vacancy_energy - n / bulk_atoms * bulk_energy, "natoms": n}


def build_workflow() -> Workflow:
    dag = DAG("vacancy")
    a = Task(
        "build",
        PythonOPTemplate(BuildBulk, image=CHEM_IMAGE),
        parameters={"element": "Cu", "a": 3.59, "supercell": [2, 2, 2]},
    )
    b = Task(
        "bulk-energy",
        PythonOPTemplate(SinglePoint, image=CHEM_IMAGE),
        artifacts={"structure": a.outputs.artifacts["structure"]},
    )
    c = Task(
        "vacancy",
        PythonOPTemplate(relaxed_vacancy, image=CHEM_IMAGE),
        artifacts={"structure": a.outputs.artifacts["structure"]},
    )
    d = Task(
        "formation-energy",
        PythonOPTemplate(formation_energy, image=CHEM_IMAGE),
        parameters={
            "bulk_energy": b.outputs.parameters["energy"],
            "bulk_atoms": a.outputs.parameters["natoms"],
            "vacancy_energy": c.outputs.parameters["energy"],
        },
        artifacts={"vacancy": c.outputs.artifacts["structure"]},
    )
    dag.add([a, b, c, d])
    return Workflow(name="diamond", dag=dag)


def main() -> None:
    wf = build_workflow()
    wf.submit()
    phase = wf.wait()
    print(f"workflow {wf.id}: {phase}")
    steps = sorted(wf.query_step(type="Pod"), key=lambda s: s.start_time or 0.0)
    t0 = steps[0].start_time or 0.0
    for step in steps:  # B and C overlap; D starts after both
        start, end = (step.start_time or t0) - t0, (step.end_time or t0) - t0
        print(f"  {step.name:18s} {step.phase:10s} {start:5.2f} s -> {end:5.2f} s")
    d = wf.query_step(name="formation-energy")[0].outputs.parameters
    print(f"Cu vacancy formation energy (EMT, {d['natoms'].value + 1} sites): {d['energy'].value:.4f} eV")


if __name__ == "__main__":
    main()
