"""Reuse a previous run: change the last step, keep the expensive ones.

    python examples/reuse.py

The first run computes 12 energies of Cu and fits them with the ``sj`` EOS. The second
run fits the same points with ``birchmurnaghan``: it is submitted with
``reuse_step=`` the first run's keyed steps, so the build, the scaling and the 12
energies are taken over from the first run instead of being computed again.
"""

from __future__ import annotations

import numpy as np

from dflow_like import Step, Workflow, argo_len, argo_range
from dflow_like.ops import CHEM_IMAGE, BuildBulk, FitEOS, ScaleLattice, SinglePoint
from dflow_like.python import PythonOPTemplate, Slices

SCALES = [float(s) for s in np.linspace(0.96, 1.04, 12)]


def build_workflow(eos: str = "birchmurnaghan") -> Workflow:
    """The same workflow for either EOS; the default is the second run (reuse is a ``submit`` option)."""
    build = Step(
        "build", PythonOPTemplate(BuildBulk, image=CHEM_IMAGE), parameters={"element": "Cu", "a": 3.6}, key="build"
    )
    scale = Step(
        "scale",
        PythonOPTemplate(ScaleLattice, image=CHEM_IMAGE),
        artifacts={"structure": build.outputs.artifacts["structure"]},
        parameters={"scales": SCALES},
        key="scale",
    )
    energy = Step(
        "energy",
        PythonOPTemplate(
            SinglePoint,
            image=CHEM_IMAGE,
            slices=Slices(input_artifact=["structure"], output_parameter=["energy", "volume"]),
        ),
        artifacts={"structure": scale.outputs.artifacts["structures"]},
        with_param=argo_range(argo_len(scale.outputs.parameters["scales"])),
        key="energy-{{item}}",  # one key per slice item
    )
    fit = Step(
        "fit",
        PythonOPTemplate(FitEOS, image=CHEM_IMAGE),
        parameters={
            "volumes": energy.outputs.parameters["volume"],
            "energies": energy.outputs.parameters["energy"],
            "eos": eos,
        },
        key="fit",
    )
    wf = Workflow(name=f"reuse-{eos}")
    for step in (build, scale, energy, fit):
        wf.add(step)
    return wf


def report(wf: Workflow) -> None:
    fit = wf.query_step(name="fit")[0].outputs.parameters
    pods = [s for s in wf.query_step(type="Pod") if s.name != "fit"]
    reused = [s for s in pods if s.message.startswith("reused from")]
    print(
        f"{wf.id}: V0 = {fit['v0'].value:.4f} Å^3, B = {fit['bulk_modulus_gpa'].value:.2f} GPa; "
        f"{len(reused)} of {len(pods)} steps before the fit were reused"
    )


def main() -> None:
    first = build_workflow("sj")
    first.submit()
    assert first.wait() == "Succeeded"
    report(first)

    # Everything but the fit, by key: build, scale and energy-0 .. energy-11.
    keep = [s for s in first.query_step() if s.key and s.key != "fit"]
    second = build_workflow("birchmurnaghan")
    second.submit(reuse_step=keep)
    assert second.wait() == "Succeeded"
    report(second)


if __name__ == "__main__":
    main()
