"""Gathered outputs of loops on Argo, as the local engine gathers them.

Argo aggregates a loop's outputs from its Succeeded children only, and sets none for a
loop without items (``processAggregateNodeOutputs``, workflow/controller/operator.go; an
empty loop is a ``Skipped`` node, steps.go ``expandStepGroup`` and dag.go ``executeDAGTask``).
The compiled manifest makes up for both (``engine/argo/compile/gathered.py``): consumers get
``None`` where an item failed, ``[]`` and an empty artifact for no items, and run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cloudpickle
import pytest

from dflow_like import DAG, OutputParameter, Step, Steps, Task, Workflow, argo_range
from dflow_like.python import PythonOPTemplate, Slices
from dflow_like.records import StepRecord

from . import gather_ops
from .compare import differences
from .controller import EmulatedArgo
from .harness import on_argo, on_local

pytestmark = pytest.mark.s3
IMAGE = "python:3.11"


def _fan(kind: type[Step], items: list[int], **loop: Any) -> Step:
    template = PythonOPTemplate(
        gather_ops.square_or_fail,
        image=IMAGE,
        slices=Slices("{{item}}", input_parameter=["n"], output_parameter=["sq"], output_artifact=["note"]),
    )
    return kind("fan", template, parameters={"n": items}, **loop)


def _use(kind: type[Step], fan: Step) -> Step:
    template = PythonOPTemplate(gather_ops.collect, image=IMAGE)
    return kind(
        "use",
        template,
        parameters={"values": fan.outputs.parameters["sq"]},
        artifacts={"notes": fan.outputs.artifacts["note"]},
    )


def _steps(items: list[int], **loop: Any) -> Workflow:
    wf = Workflow(name="gather")
    fan = _fan(Step, items, **loop)
    wf.add(fan)
    wf.add(_use(Step, fan))
    return wf


def _dag(items: list[int], **loop: Any) -> Workflow:
    dag = DAG("gather-dag")
    fan = _fan(Task, items, **loop)
    dag.add(fan)
    dag.add(_use(Task, fan))
    wf = Workflow(name="gather-dag")
    wf.add(Step("inner", dag))
    return wf


def _seen(wf: Workflow) -> tuple[Any, Any]:
    out = wf.query_step(name="use")[0].outputs.parameters
    return out["values"].value, out["files"].value


CASES = {
    # items 1 and 3 fail: their places stay, as None
    "steps-threshold": (_steps, [0, 1, 2, 3], {"continue_on_num_success": 2}, [0, None, 4, None]),
    "steps-failed-last": (_steps, [2, 4, 5], {"continue_on_failed": True}, [4, 16, None]),
    "dag-ratio": (_dag, [1, 2, 3, 4], {"continue_on_success_ratio": 0.5}, [None, 4, None, 16]),
    "steps-all-failed": (_steps, [1, 3], {"continue_on_failed": True}, [None, None]),
    # no items at all: [] and an empty artifact, and the consumer runs
    "steps-empty-slices": (_steps, [], {}, []),
    "steps-empty-range": (_steps, [], {"with_param": argo_range(0)}, []),
    "dag-empty-slices": (_dag, [], {}, []),
}


@pytest.mark.parametrize("case", list(CASES))
def test_consumers_of_a_loop_see_what_they_see_locally(argo: EmulatedArgo, tmp_path: Path, case: str) -> None:
    build, items, loop, expected = CASES[case]
    remote = build(items, **loop)
    assert on_argo(argo, remote) == "Succeeded", argo.logs(str(remote.id))
    cloudpickle.register_pickle_by_value(gather_ops)
    local = build(items, **loop)
    assert on_local(local) == "Succeeded"
    notes = [f"{n}^2" for n in items if n % 2 == 0]
    assert _seen(local) == (expected, notes)
    assert _seen(remote) == (expected, notes)
    assert differences(local, remote, tmp_path) == []
    # the loop's own record: its gathered outputs, the places of its artifact's parts
    mine, theirs = _group(local), _group(remote)
    assert mine.outputs.parameters["sq"].value == theirs.outputs.parameters["sq"].value == expected
    assert mine.outputs.artifacts["note"].positions == theirs.outputs.artifacts["note"].positions
    assert len(theirs.outputs.artifacts["note"].parts) == len(notes)


def _group(wf: Workflow) -> StepRecord:
    """The record of the loop (on Argo a DAG's TaskGroup, or the steps' group it runs in)."""
    return next(r for r in wf.query_step() if r.type in ("StepGroup", "TaskGroup") and r.outputs.parameters)


def _nested_empty() -> Workflow:
    inner = Steps("inner-steps")
    fan = _fan(Step, [])
    inner.add(fan)
    inner.outputs.parameters["sq"] = OutputParameter(value_from_parameter=fan.outputs.parameters["sq"])
    wf = Workflow(name="gather-nested")
    outer = Step("inner", inner)
    wf.add(outer)
    collect = PythonOPTemplate(gather_ops.collect, image=IMAGE)
    wf.add(Step("use", collect, parameters={"values": outer.outputs.parameters["sq"]}))
    return wf


def test_a_steps_output_drawn_from_a_loop_without_items_is_empty(argo: EmulatedArgo) -> None:
    remote = _nested_empty()
    assert on_argo(argo, remote) == "Succeeded", argo.logs(str(remote.id))
    local = _nested_empty()
    assert on_local(local) == "Succeeded"
    for wf in (local, remote):
        assert wf.query_step(name="inner")[0].outputs.parameters["sq"].value == []
        assert _seen(wf) == ([], [])


def _nested(kind: type[Steps] | type[DAG], items: list[int], **loop: Any) -> Workflow:
    """A Steps/DAG whose output parameter is a loop's gathered output, some of whose items fail."""
    inner = kind(f"inner-{kind.__name__.lower()}")
    fan = _fan(Task if kind is DAG else Step, items, **loop)
    inner.add(fan)
    inner.outputs.parameters["sq"] = OutputParameter(value_from_parameter=fan.outputs.parameters["sq"])
    wf = Workflow(name=f"gather-nested-{kind.__name__.lower()}")
    outer = Step("inner", inner)
    wf.add(outer)
    collect = PythonOPTemplate(gather_ops.collect, image=IMAGE)
    wf.add(Step("use", collect, parameters={"values": outer.outputs.parameters["sq"]}))
    return wf


NESTED = {
    # Argo aggregates only the succeeded items (processAggregateNodeOutputs, operator.go):
    # the Steps/DAG output must still keep each item's place, as the local engine's does
    "steps-threshold": (Steps, [0, 1, 2, 3], {"continue_on_num_success": 2}, [0, None, 4, None]),
    "steps-failed-first-and-last": (Steps, [1, 2, 4, 5], {"continue_on_failed": True}, [None, 4, 16, None]),
    "dag-all-failed": (DAG, [1, 3], {"continue_on_failed": True}, [None, None]),
    "dag-with-param": (DAG, [3, 4, 6], {"continue_on_failed": True, "with_param": [0, 1, 2]}, [None, 16, 36]),
}


@pytest.mark.parametrize("case", list(NESTED))
def test_a_steps_output_drawn_from_a_loop_with_failed_items_keeps_their_places(
    argo: EmulatedArgo, tmp_path: Path, case: str
) -> None:
    kind, items, loop, expected = NESTED[case]
    remote = _nested(kind, items, **loop)
    assert on_argo(argo, remote) == "Succeeded", argo.logs(str(remote.id))
    cloudpickle.register_pickle_by_value(gather_ops)
    local = _nested(kind, items, **loop)
    assert on_local(local) == "Succeeded"
    for wf in (local, remote):
        assert wf.query_step(name="inner")[0].outputs.parameters["sq"].value == expected
        assert _seen(wf)[0] == expected
    assert differences(local, remote, tmp_path) == []
