"""when, if_expression, and recursion ended by when."""

from __future__ import annotations

from pathlib import Path

from dflow_like import (
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
from dflow_like.python import PythonOPTemplate

from .helpers import run
from .ops_control import Relax, Square


def test_when_with_comparisons_logic_strings_and_step_outputs() -> None:
    wf = Workflow("when")
    sq = Step("sq", PythonOPTemplate(Square), parameters={"x": 3})
    wf.add(sq)
    y = sq.outputs.parameters["y"]
    wf.add(
        [
            Step("big", PythonOPTemplate(Square), parameters={"x": 1}, when=f"{y} > 5"),
            Step("small", PythonOPTemplate(Square), parameters={"x": 1}, when=f"{y} <= 5"),
            Step("both", PythonOPTemplate(Square), parameters={"x": 1}, when=f"{y} == 9 && 'a' == 'a'"),
            Step("either", PythonOPTemplate(Square), parameters={"x": 1}, when=f"{y} < 0 || tails != heads"),
            Step("expr", PythonOPTemplate(Square), parameters={"x": 1}, when=y > 8.5),
        ]
    )
    assert run(wf) == "Succeeded"
    phases = {s.name: s.phase for s in wf.query_step() if s.name in ("big", "small", "both", "either", "expr")}
    assert phases == {
        "big": "Succeeded",
        "small": "Skipped",
        "both": "Succeeded",
        "either": "Succeeded",
        "expr": "Succeeded",
    }
    assert wf.query_step(name="small")[0].type == "Skipped"


def _conditional(flag: float) -> Workflow:
    steps = Steps("cond", outputs=Outputs(parameters={"pick": OutputParameter()}, artifacts={"file": OutputArtifact()}))
    relax = Step("relax", PythonOPTemplate(Relax), parameters={"residual": flag, "tol": 1.0})
    zero = Step("zero", PythonOPTemplate(Square), parameters={"x": 0})
    two = Step("two", PythonOPTemplate(Square), parameters={"x": 2})
    steps.add([relax, zero, two])
    steps.outputs.parameters["pick"].value_from_expression = if_expression(
        _if=relax.outputs.parameters["converged"], _then=zero.outputs.parameters["y"], _else=two.outputs.parameters["y"]
    )
    steps.outputs.artifacts["file"].from_expression = if_expression(
        _if=relax.outputs.parameters["converged"],
        _then=zero.outputs.artifacts["out"],
        _else=two.outputs.artifacts["out"],
    )
    wf = Workflow("cond")
    wf.add(Step("pick", steps))
    return wf


def test_if_expression_with_a_falsy_then_value_does_not_flip(tmp_path: Path) -> None:
    wf = _conditional(1.0)  # residual 0.5 < 1.0: converged, so _then, whose value is 0
    assert run(wf) == "Succeeded"
    pick = wf.query_step(name="pick")[0]
    assert pick.outputs.parameters["pick"].value == 0
    assert Path(download_artifact(pick.outputs.artifacts["file"], path=tmp_path)[0]).name == "sq0.txt"
    wf = _conditional(10.0)
    assert run(wf) == "Succeeded"
    assert wf.query_step(name="pick")[0].outputs.parameters["pick"].value == 4


def test_recursion_until_converged_depth_over_100(tmp_path: Path) -> None:
    loop = Steps(
        "relax-loop",
        inputs=Inputs(
            parameters={"residual": InputParameter(), "tol": InputParameter(value=1e-30), "counter": InputParameter()}
        ),
    )
    step = Step(
        "relax",
        PythonOPTemplate(Relax),
        parameters={k: loop.inputs.parameters[k] for k in ("residual", "tol", "counter")},
        key="relax-{{inputs.parameters.residual}}",
    )
    loop.add(step)
    loop.add(
        Step(
            "again",
            loop,
            parameters={"residual": step.outputs.parameters["residual"], "counter": loop.inputs.parameters["counter"]},
            when=f"{step.outputs.parameters['converged']} == false",
        )
    )
    counter = tmp_path / "runs.txt"
    wf = Workflow("relax", steps=loop, parameters={"residual": 1.0, "counter": str(counter)})
    assert run(wf) == "Succeeded"
    runs = counter.read_text().split()
    assert len(runs) == 100  # 1/2**100 < 1e-30 first at the 100th halving
    last = wf.query_step(name="relax")[-1]
    assert last.outputs.parameters["converged"].value is True
    assert len(wf.query_keys_of_steps()) == 100
