"""``Slices(group_size=G)`` compiled for Argo: a loop over groups, and what a group cannot do refused.

dflow loops over ``ceil(nslices / group_size)`` groups and gives each pod the indices of its
items (``Step.__init__`` in dflow/step.py); here the loop strides by G (``compile/groups.py``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from dflow_like import (
    InputParameter,
    Inputs,
    OutputParameter,
    ShellOPTemplate,
    Step,
    Steps,
    Workflow,
    argo_range,
    argo_sequence,
)
from dflow_like.engine.argo.compile import CompileError
from dflow_like.engine.argo.limits import limit_warnings, loop_count
from dflow_like.python import OP, PythonOPTemplate, Slices


@OP.function
def square(x: int) -> {"y": int}:  # type: ignore[valid-type]  # noqa: F821
    return {"y": x * x}


@OP.function
def labelled(x: int, label: str) -> {"y": int}:  # type: ignore[valid-type]  # noqa: F821
    return {"y": x}


@OP.function
def total(ys: list) -> {"s": int}:  # type: ignore[valid-type]  # noqa: F821
    return {"s": sum(ys)}


@OP.function
def make() -> {"xs": list}:  # type: ignore[valid-type]  # noqa: F821
    return {"xs": [1, 2, 3]}


def _fan(n: Any, group: int, op: Any = square, **flags: Any) -> Step:
    template = PythonOPTemplate(
        op, image="python:3.11", slices=Slices(input_parameter=["x"], output_parameter=["y"], group_size=group)
    )
    return Step("fan", template, parameters={"x": list(range(n)) if isinstance(n, int) else n}, **flags)


def _steps(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    entry = next(t for t in manifest["spec"]["templates"] if t["name"] == manifest["spec"]["entrypoint"])
    return {s["name"]: s for stage in entry["steps"] for s in stage}


def _args(node: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in node["arguments"]["parameters"]}


def test_a_grouped_slice_loops_over_groups_and_tells_its_pods_the_size() -> None:
    wf = Workflow("g")
    fan = _fan(10, 4)
    wf.add(fan)
    wf.add(Step("sum", PythonOPTemplate(total, image="python:3.11"), parameters={"ys": fan.outputs.parameters["y"]}))
    steps = _steps(wf.to_dict())
    assert steps["fan"]["withParam"] == "{{=toJson(sprig.untilStep(0, 10, 4))}}"  # items 0-3, 4-7, 8-9
    assert loop_count(steps["fan"]) == 3
    assert json.loads(_args(steps["fan"])["dflow_sliced"]) == {"parameters": ["x"], "artifacts": [], "group_size": 4}
    gathered = _args(steps["sum"])["dflow_gathered"]
    assert '"items":{{=toJson(sprig.untilStep(0, 10, 1))}}' in gathered  # the consumer counts items
    assert '"grouped":true' in gathered


def test_a_grouped_slice_of_a_step_output_strides_at_run_time() -> None:
    wf = Workflow("g")
    producer = Step("make", PythonOPTemplate(make, image="python:3.11"))
    wf.add(producer)
    wf.add(_fan(producer.outputs.parameters["xs"], 100))
    (fan,) = [s for stage in wf.to_dict()["spec"]["templates"][0]["steps"] for s in stage if s["name"] == "fan"]
    assert (
        fan["withParam"]
        == "{{=toJson(sprig.untilStep(0, len(sprig.fromJson(steps['make'].outputs.parameters['xs'])), 100))}}"
    )


def test_a_grouped_with_param_strides_over_its_list_and_gives_the_pods_the_list() -> None:
    wf = Workflow("g")
    wf.add(_fan(10, 4, with_param=argo_range(6)))
    (fan,) = _steps(wf.to_dict()).values()
    assert (
        fan["withParam"] == "{{=toJson(sprig.untilStep(0, len(sprig.fromJson(toJson(sprig.untilStep(0, 6, 1)))), 4))}}"
    )
    sliced = _args(fan)["dflow_sliced"]
    # item i takes element items[i], its value, as dflow's with_param[i] (dflow/step.py)
    assert sliced.endswith(',"group_size":4,"items":{{=toJson(sprig.untilStep(0, 6, 1))}},"by_value":true}')
    wf = Workflow("h")
    wf.add(_fan(3, 2, with_items=[2, 0, 1]))
    (fan,) = _steps(wf.to_dict()).values()
    assert fan["withParam"] == "{{=toJson(sprig.untilStep(0, 3, 2))}}"
    assert json.loads(_args(fan)["dflow_sliced"])["items"] == [2, 0, 1]
    wf = Workflow("r")
    producer = Step("make", PythonOPTemplate(make, image="python:3.11"))
    wf.add(producer)
    wf.add(_fan(3, 2, with_param=producer.outputs.parameters["xs"]))
    fan = _steps(wf.to_dict())["fan"]
    counted = "len(sprig.fromJson(steps['make'].outputs.parameters['xs']))"
    assert fan["withParam"] == "{{=toJson(sprig.untilStep(0, " + counted + ", 2))}}"


def test_a_pool_size_reaches_the_pods() -> None:
    wf = Workflow("g")
    slices = Slices(input_parameter=["x"], output_parameter=["y"], group_size=8, pool_size=4)
    wf.add(Step("fan", PythonOPTemplate(square, image="python:3.11", slices=slices), parameters={"x": [1, 2, 3]}))
    (fan,) = _steps(wf.to_dict()).values()
    assert json.loads(_args(fan)["dflow_sliced"]) == {
        "parameters": ["x"], "artifacts": [], "group_size": 8, "pool_size": 4
    }  # fmt: skip


def test_a_threshold_counts_items_not_groups() -> None:
    wf = Workflow("g")
    wf.add(_fan(10, 4, continue_on_success_ratio=0.5))
    steps = _steps(wf.to_dict())
    assert json.loads(_args(steps["fan"])["dflow_sliced"])["tolerant"] is True
    assert _args(steps["fan-check-success"])["items"] == "{{=toJson(sprig.untilStep(0, 10, 1))}}"


def test_grouping_keeps_a_large_fan_out_under_the_node_limit() -> None:
    wf = Workflow("g")
    wf.add(_fan(100_000, 1000))
    warnings = limit_warnings(wf.to_dict())
    assert not any("nodes" in w for w in warnings)  # 100 pods, not 100,000
    ungrouped = Workflow("u")
    ungrouped.add(_fan(100_000, 1))
    assert any("100,003 nodes" in w for w in limit_warnings(ungrouped.to_dict()))


def _template(op: Any, **settings: Any) -> PythonOPTemplate:
    slices = Slices(input_parameter=["x"], output_parameter=["y"], group_size=2)
    return PythonOPTemplate(op, image="python:3.11", slices=slices, **settings)


REFUSED = {
    "with_sequence": (
        lambda: _fan(4, 2, with_sequence=argo_sequence(4)),
        r"with with_sequence on Argo: give the items as with_param=argo_range\(...\)",
    ),
    "timeout": (
        lambda: Step("fan", _template(square, timeout=5), parameters={"x": [1, 2]}),
        "with timeout=5 on Argo: Argo's pod deadline is the template's",
    ),
    "item in a parameter": (
        lambda: Step("fan", _template(labelled), parameters={"x": [1, 2], "label": "{{item}}"}),
        r"with parameter 'label' = '\{\{item\}\}' on Argo: \{\{item\}\} would be the group's",
    ),
    "key": (lambda: _fan(4, 2, key="sq-{{item}}"), "with key='sq-{{item}}' on Argo: a key names one pod's outputs"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_what_a_group_cannot_do_is_refused_naming_the_step_and_field(case: str) -> None:
    make, message = REFUSED[case]
    wf = Workflow("g")
    wf.add(make())
    with pytest.raises(CompileError, match=r"step 'fan'.*Slices\(group_size=2\) " + message):
        wf.to_dict()


def test_only_a_python_op_may_read_a_grouped_steps_outputs() -> None:
    wf = Workflow("g")
    fan = _fan(4, 2)
    wf.add(fan)
    echo = ShellOPTemplate(
        "echo",
        image="alpine",
        script="echo {{inputs.parameters.ys}}",
        inputs=Inputs(parameters={"ys": InputParameter()}),
    )
    wf.add(Step("echo", echo, parameters={"ys": fan.outputs.parameters["y"]}))
    with pytest.raises(CompileError, match=r"output parameter 'y' is read by step 'echo' \(a ShellOPTemplate\)"):
        wf.to_dict()

    inner = Steps("inner")
    fan = _fan(4, 2)
    inner.add(fan)
    inner.outputs.parameters["ys"] = OutputParameter(value_from_parameter=fan.outputs.parameters["y"])
    wf = Workflow("g2")
    wf.add(Step("inner", inner))
    with pytest.raises(CompileError, match=r"output parameter 'y' is read by a Steps/DAG output"):
        wf.to_dict()
