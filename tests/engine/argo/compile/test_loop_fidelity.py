"""Where a compiled loop must give what the local engine gives: which element an item slices,
and a Steps/DAG output drawn from a loop whose items partly failed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dflow_like import DAG, InputParameter, OutputParameter, Step, Steps, Task, Workflow, argo_range, argo_sequence
from dflow_like.engine.argo import lint_manifest
from dflow_like.engine.argo.compile.check import manifest_problems
from dflow_like.expr import evaluate, render
from dflow_like.python import PythonOPTemplate, Slices
from dflow_like.runner.pod import _apply_slices

from .ops import Double


def _calls(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for template in manifest["spec"]["templates"]:
        for stage in template.get("steps") or []:
            found.update({s["name"]: s for s in stage})
        found.update({t["name"]: t for t in (template.get("dag") or {}).get("tasks") or []})
    return found


def _args(node: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in node["arguments"]["parameters"]}


def _sliced(**loop: Any) -> Step:
    template = PythonOPTemplate(
        Double, slices=Slices(input_parameter=["x"], output_parameter=["y"], **loop.pop("g", {}))
    )
    return Step("fan", template, parameters={"x": list(range(10, 20))}, **loop)


def test_a_with_param_item_slices_the_element_its_value_names_as_in_dflow() -> None:
    """No slices expression: dflow's default ``"{{item}}"`` (``Slices.__init__``,
    dflow/python/python_op_template.py; ``obj[slices]`` in ``handle_input_parameter``,
    dflow/python/utils.py): item 3 takes element 3, whatever its place in the loop."""
    wf = Workflow("v")
    wf.add(_sliced(with_param=[3, 5, 7]))
    fan = _calls(wf.to_dict())["fan"]
    assert json.loads(fan["withParam"]) == [3, 5, 7]
    hidden = _args(fan)
    taken = []
    for item in json.loads(fan["withParam"]):  # what each pod does with what Argo renders for it
        rendered = {
            k: render(v, {"item": item, "inputs": {"parameters": {"dflow_path": "v"}}}) for k, v in hidden.items()
        }
        params = {"x": rendered["x"]}
        _apply_slices(rendered, params, {})
        taken.append(json.loads(params["x"]))
    assert taken == [13, 15, 17]


def test_a_grouped_with_param_gives_its_pods_the_items_values() -> None:
    wf = Workflow("g")
    wf.add(_sliced(with_param=[3, 5, 7], g={"group_size": 2}))
    sliced = json.loads(_args(_calls(wf.to_dict())["fan"])["dflow_sliced"].replace("[3, 5, 7]", "[3,5,7]"))
    assert sliced["by_value"] is True and sliced["items"] == [3, 5, 7]


def _nested(kind: type[Steps] | type[DAG], **loop: Any) -> tuple[str, str]:
    """A Steps/DAG with output ``y`` from looped ``fan``: (scope, the output's expression)."""
    inner = kind("inner")
    fan = (
        _sliced(**loop)
        if kind is Steps
        else Task("fan", _sliced(**loop).template, parameters={"x": list(range(10, 20))}, **loop)
    )
    inner.add(fan)
    inner.outputs.parameters["y"] = OutputParameter(value_from_parameter=fan.outputs.parameters["y"])
    wf = Workflow("h")
    wf.add(Step("inner", inner))
    (out,) = next(t for t in wf.to_dict()["spec"]["templates"] if t["name"] == "inner")["outputs"]["parameters"]
    return ("steps" if kind is Steps else "tasks"), out["valueFrom"]["expression"]


def _aggregate(
    scope: str, positions: list[int], values: list[int], extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The scope Argo builds: only succeeded items, their values as strings (processAggregateNodeOutputs)."""
    found: dict[str, Any] = {"workflow": {"parameters": {}}, **(extra or {})}
    if positions:
        params = {"y": json.dumps([str(v) for v in values]), "dflow_position": json.dumps([str(p) for p in positions])}
        found[scope] = {"fan": {"outputs": {"parameters": params}}}
    else:
        found[scope] = {}
    return found


LOOPS: dict[str, tuple[type[Steps] | type[DAG], dict[str, Any], int, dict[str, Any]]] = {
    "slices": (Steps, {}, 10, {}),
    "with-param": (DAG, {"with_param": [3, 5, 7]}, 3, {}),
    "with-range": (Steps, {"with_param": argo_range(4)}, 4, {}),
    "with-items": (Steps, {"with_items": [1, 2]}, 2, {}),
    "with-sequence": (DAG, {"with_sequence": argo_sequence(start=2, end=6)}, 5, {}),
    "with-reference": (
        Steps,
        {"with_param": "{{workflow.parameters.xs}}"},
        3,
        {"workflow": {"parameters": {"xs": "[0,1,2]"}}},
    ),
}


@pytest.mark.parametrize("loop", list(LOOPS))
@pytest.mark.parametrize("succeeded", [(), (0,), (1,), ("last",), (0, 2), (1, "last"), "all"])
def test_a_steps_output_from_a_loop_puts_none_where_items_failed(loop: str, succeeded: Any) -> None:
    kind, fields, n, extra = LOOPS[loop]
    scope, expression = _nested(kind, **fields)
    chosen = list(range(n)) if succeeded == "all" else [n - 1 if p == "last" else p for p in succeeded]
    positions = sorted({p for p in chosen if p < n})
    values = [10 * p for p in positions]
    expected = [10 * i if i in positions else None for i in range(n)]
    assert json.loads(evaluate(expression, _aggregate(scope, positions, values, extra))) == expected


def test_a_steps_output_from_a_loop_whose_node_was_skipped_is_all_holes_not_an_error() -> None:
    """An empty loop's ``Skipped`` node gives its pods' declared defaults (``addSkippedNodeOutputsToScope``,
    scope.go): ``dflow_position`` is ``"null"`` and the value absent."""
    scope, expression = _nested(Steps, with_param=argo_range(2))
    skipped = {"workflow": {"parameters": {}}, scope: {"fan": {"outputs": {"parameters": {"dflow_position": "null"}}}}}
    assert json.loads(evaluate(expression, skipped)) == [None, None]


@pytest.mark.parametrize("kind", [Steps, DAG])
def test_a_manifest_with_a_holed_output_passes_schema_and_lint(kind: type[Steps] | type[DAG]) -> None:
    inner = kind("inner")
    fan = (Step if kind is Steps else Task)(
        "fan", _sliced().template, parameters={"x": [1, 2]}, continue_on_failed=True
    )
    inner.add(fan)
    inner.outputs.parameters["y"] = OutputParameter(value_from_parameter=fan.outputs.parameters["y"])
    wf = Workflow("lint")
    wf.add(Step("inner", inner))
    manifest = wf.to_dict()
    assert manifest_problems(manifest) == [] and lint_manifest(manifest) == []


def test_a_loop_that_cannot_keep_places_on_argo_says_so() -> None:
    """A looped Steps template reports no positions: its Steps output would silently differ."""
    body = Steps("body")
    body.add(Step("one", PythonOPTemplate(Double), parameters={"x": "{{inputs.parameters.x}}"}))
    body.inputs.parameters["x"] = InputParameter()
    body.outputs.parameters["y"] = OutputParameter(value_from_parameter=body.steps[0][0].outputs.parameters["y"])
    inner = Steps("inner")
    loop = Step("fan", body, parameters={"x": "{{item}}"}, with_param=[1, 2], continue_on_failed=True)
    inner.add(loop)
    inner.outputs.parameters["y"] = OutputParameter(value_from_parameter=loop.outputs.parameters["y"])
    wf = Workflow("warn")
    wf.add(Step("inner", inner))
    with pytest.warns(UserWarning, match=r"output 'y' of this loop .* only the items that succeeded"):
        wf.to_dict()
