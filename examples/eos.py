"""Equation of state of Cu (EMT): build → 20 scaled cells in parallel → fit → plot.

    python examples/eos.py

Prints the fitted lattice constant and bulk modulus and leaves ``eos.png`` in the
current directory. Runs locally by default; the same program runs on Argo or Slurm
when dflow_like is configured for them.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from dflow_like import Step, Workflow, argo_len, argo_range, download_artifact
from dflow_like.ops import CHEM_IMAGE, BuildBulk, FitEOS, PlotEOS, ScaleLattice, SinglePoint
from dflow_like.python import PythonOPTemplate, Slices

ELEMENT = "Cu"
LATTICE_CONSTANT = 3.6  # Å, the starting guess the cell is scaled around
SCALES = [float(s) for s in np.linspace(0.95, 1.05, 20)]  # of the lattice vectors
EOS = "sj"
IMAGE = CHEM_IMAGE  # on Argo: python:3.11 + numpy, scipy, ASE, matplotlib; ignored locally


def build_workflow() -> Workflow:
    """The EOS workflow as a plain function so tests and notebooks can reuse it."""
    build = Step(
        "build",
        PythonOPTemplate(BuildBulk, image=IMAGE),
        parameters={"element": ELEMENT, "crystal": "fcc", "a": LATTICE_CONSTANT, "cubic": True},
    )
    scale = Step(
        "scale",
        PythonOPTemplate(ScaleLattice, image=IMAGE),
        artifacts={"structure": build.outputs.artifacts["structure"]},
        parameters={"scales": SCALES},
    )
    # One energy step per scaled cell, run in parallel; the outputs come back as lists
    # in the order of the scales.
    energy = Step(
        "energy",
        PythonOPTemplate(
            SinglePoint,
            image=IMAGE,
            slices=Slices("{{item}}", input_artifact=["structure"], output_parameter=["energy", "volume"]),
        ),
        artifacts={"structure": scale.outputs.artifacts["structures"]},
        with_param=argo_range(argo_len(scale.outputs.parameters["scales"])),
    )
    fit = Step(
        "fit",
        PythonOPTemplate(FitEOS, image=IMAGE),
        parameters={
            "volumes": energy.outputs.parameters["volume"],
            "energies": energy.outputs.parameters["energy"],
            "eos": EOS,
            "reference_volume": build.outputs.parameters["volume"],
            "reference_lattice_constant": build.outputs.parameters["lattice_constant"],
        },
    )
    plot = Step(  # draws the fit's curve: it needs matplotlib, not ASE and SciPy
        "plot",
        PythonOPTemplate(PlotEOS, image=IMAGE),
        parameters={
            "volumes": energy.outputs.parameters["volume"],
            "energies": energy.outputs.parameters["energy"],
            "eos": EOS,
            "title": f"{ELEMENT} (EMT)",
            "curve_volumes": fit.outputs.parameters["curve_volumes"],
            "curve_energies": fit.outputs.parameters["curve_energies"],
            "v0": fit.outputs.parameters["v0"],
            "bulk_modulus_gpa": fit.outputs.parameters["bulk_modulus_gpa"],
        },
    )
    wf = Workflow(name="eos-cu")
    for step in (build, scale, energy, fit, plot):
        wf.add(step)
    return wf


def main() -> None:
    start = time.perf_counter()
    wf = build_workflow()
    wf.submit()
    phase = wf.wait()
    if phase != "Succeeded":
        raise SystemExit(f"workflow {wf.id} ended {phase}: {wf.query_message()}")
    fit = wf.query_step(name="fit")[0].outputs.parameters
    plot = wf.query_step(name="plot")[0].outputs.artifacts["plot"]
    [png] = download_artifact(plot, path=".")  # the OP named it eos.png: lands as ./eos.png
    print(f"workflow {wf.id}: {phase} in {time.perf_counter() - start:.1f} s")
    print(f"equilibrium volume   V0 = {fit['v0'].value:.6f} Å^3")
    print(f"lattice constant     a0 = {fit['lattice_constant'].value:.6f} Å")
    print(f"bulk modulus          B = {fit['bulk_modulus_gpa'].value:.6f} GPa")
    print(f"plot                    : {Path(png).resolve()}")


if __name__ == "__main__":
    main()
