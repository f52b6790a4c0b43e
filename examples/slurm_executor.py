"""Run the expensive steps as Slurm jobs, the rest locally.

    DFLOW_LIKE_SLURM_PARTITION=debug python examples/slurm_executor.py            # sbatch here
    DFLOW_LIKE_SLURM_HOST=login.hpc.example.org DFLOW_LIKE_SLURM_USER=me \\
    DFLOW_LIKE_SLURM_KEY=~/.ssh/id_ed25519 python examples/slurm_executor.py       # over SSH

Settings come from the environment: ``DFLOW_LIKE_SLURM_HOST`` (unset: the ``sbatch`` on
this machine, with a shared filesystem), ``_USER``, ``_PORT``, ``_KEY`` (SSH), and
``_PARTITION``; ``SLURM_CONF`` is honoured as usual. An EOS of Cu: the 8 energies run
as one Slurm job array (``array=True``), the build, scaling and fit locally.
"""

from __future__ import annotations

import os

import numpy as np

from dflow_like import Step, Workflow, argo_len, argo_range
from dflow_like.executor import DispatcherExecutor
from dflow_like.ops import CHEM_IMAGE, BuildBulk, FitEOS, ScaleLattice, SinglePoint
from dflow_like.python import PythonOPTemplate, Slices


def slurm() -> DispatcherExecutor:
    env = os.environ.get
    key = env("DFLOW_LIKE_SLURM_KEY")
    return DispatcherExecutor(
        host=env("DFLOW_LIKE_SLURM_HOST") or None,
        username=env("DFLOW_LIKE_SLURM_USER", "root"),
        port=int(env("DFLOW_LIKE_SLURM_PORT", "22")),
        private_key_file=os.path.expanduser(key) if key else None,
        queue_name=env("DFLOW_LIKE_SLURM_PARTITION") or None,
        cpus=1,
        memory="500M",
        time_limit="00:05:00",
        array=True,
    )


def build_workflow() -> Workflow:
    """Runs on the local engine only: for Argo, ``to_yaml()`` refuses ``executor=``, naming the step."""
    build = Step("build", PythonOPTemplate(BuildBulk, image=CHEM_IMAGE), parameters={"element": "Cu", "a": 3.6})
    scale = Step(
        "scale",
        PythonOPTemplate(ScaleLattice, image=CHEM_IMAGE),
        artifacts={"structure": build.outputs.artifacts["structure"]},
        parameters={"scales": [float(s) for s in np.linspace(0.96, 1.04, 8)]},
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
        executor=slurm(),  # only this step goes to Slurm
    )
    fit = Step(
        "fit",
        PythonOPTemplate(FitEOS, image=CHEM_IMAGE),
        parameters={
            "volumes": energy.outputs.parameters["volume"],
            "energies": energy.outputs.parameters["energy"],
        },
    )
    wf = Workflow(name="slurm-eos")
    for step in (build, scale, energy, fit):
        wf.add(step)
    return wf


def main() -> None:
    wf = build_workflow()
    wf.submit()
    phase = wf.wait()
    print(f"workflow {wf.id}: {phase}")
    if phase != "Succeeded":
        failed = [
            f"{s.name}: {s.message}" for s in wf.query_step() if s.type == "Pod" and s.phase in ("Failed", "Error")
        ]
        raise SystemExit("\n".join(failed) or wf.query_message())
    jobs = [s for s in wf.query_step(name="energy") if s.type == "Pod"]
    print(f"{len(jobs)} energies computed as Slurm jobs")
    out = wf.query_step(name="fit")[0].outputs.parameters
    print(f"V0 = {out['v0'].value:.4f} Å^3, B = {out['bulk_modulus_gpa'].value:.2f} GPa")


if __name__ == "__main__":
    main()
