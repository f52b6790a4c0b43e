"""Conditions and recursion: relax a structure a few steps at a time until it converges.

    python examples/recursion.py

``relax-loop`` is a ``Steps`` template that calls itself: each round runs ``Relax``
with a small step budget, and the recursive call only happens ``when`` the forces are
not yet below ``fmax`` (and a round limit is not reached). The loop's output structure
is picked with ``if_expression``: this round's if it converged, else the next round's.
"""

from __future__ import annotations

from dflow_like import (
    InputArtifact,
    InputParameter,
    Inputs,
    OutputArtifact,
    OutputParameter,
    Outputs,
    Step,
    Steps,
    Workflow,
    download_artifact,
    if_expression,
)
from dflow_like.ops import CHEM_IMAGE, BuildBulk, Rattle, Relax, SinglePoint
from dflow_like.python import PythonOPTemplate

FMAX = 0.005  # eV/Å
STEPS_PER_ROUND = 5
MAX_ROUNDS = 20


def relax_loop() -> Steps:
    loop = Steps(
        "relax-loop",
        inputs=Inputs(
            parameters={"round": InputParameter(value=0)},
            artifacts={"structure": InputArtifact()},
        ),
        outputs=Outputs(
            parameters={"energy": OutputParameter()},
            artifacts={"structure": OutputArtifact()},
        ),
    )
    relax = Step(
        "relax",
        PythonOPTemplate(Relax, image=CHEM_IMAGE),
        artifacts={"structure": loop.inputs.artifacts["structure"]},
        parameters={"fmax": FMAX, "steps": STEPS_PER_ROUND},
        key=f"relax-{loop.inputs.parameters['round']}",  # find each round by key afterwards
    )
    loop.add(relax)
    converged = relax.outputs.parameters["converged"]
    again = Step(
        "again",
        loop,  # the template calls itself
        artifacts={"structure": relax.outputs.artifacts["structure"]},
        parameters={"round": "{{=asInt(inputs.parameters.round) + 1}}"},
        when=f"{converged} == false && {loop.inputs.parameters['round']} < {MAX_ROUNDS}",
    )
    loop.add(again)
    loop.outputs.parameters["energy"].value_from_expression = if_expression(
        _if=converged,  # a parameter reference: true when it is "true"
        _then=relax.outputs.parameters["energy"],
        _else=again.outputs.parameters["energy"],
    )
    loop.outputs.artifacts["structure"].from_expression = if_expression(
        _if=converged,  # a parameter reference: true when it is "true"
        _then=relax.outputs.artifacts["structure"],
        _else=again.outputs.artifacts["structure"],
    )
    return loop


def build_workflow() -> Workflow:
    build = Step(
        "build", PythonOPTemplate(BuildBulk, image=CHEM_IMAGE), parameters={"element": "Cu", "supercell": [2, 2, 2]}
    )
    rattle = Step(
        "rattle",
        PythonOPTemplate(Rattle, image=CHEM_IMAGE),
        artifacts={"structure": build.outputs.artifacts["structure"]},
        parameters={"stdev": 0.1, "seed": 1},
    )
    relax = Step("relax", relax_loop(), artifacts={"structure": rattle.outputs.artifacts["structure"]})
    check = Step(
        "check",
        PythonOPTemplate(SinglePoint, image=CHEM_IMAGE),
        artifacts={"structure": relax.outputs.artifacts["structure"]},
    )
    wf = Workflow(name="recursion")
    for step in (build, rattle, relax, check):
        wf.add(step)
    return wf


def main() -> None:
    wf = build_workflow()
    wf.submit()
    print(f"workflow {wf.id}: {wf.wait()}")

    rounds = sorted((s for s in wf.query_step(name="relax") if s.key), key=lambda s: int(s.key.split("-")[1]))
    for s in rounds:
        out = s.outputs.parameters
        print(
            f"  {s.key:9s} E = {out['energy'].value:9.5f} eV  max|F| = "
            f"{out['max_force'].value:.4f} eV/Å  converged = {out['converged'].value}"
        )
    final = wf.query_step(name="check")[0].outputs.parameters
    print(
        f"converged after {len(rounds)} rounds: E = {final['energy'].value:.5f} eV, "
        f"max|F| = {final['max_force'].value:.4f} < {FMAX} eV/Å"
    )
    loop = next(s for s in wf.query_step(name="relax") if s.type == "Steps")  # the outermost
    [path] = download_artifact(loop.outputs.artifacts["structure"])
    print(f"relaxed structure: {path} (E = {loop.outputs.parameters['energy'].value:.5f} eV)")


if __name__ == "__main__":
    main()
