"""``Slices(group_size=G)`` on Argo: ceil(N/G) pods, outputs as the local engine gathers them.

Compiled as dflow compiles it (``engine/argo/compile/groups.py``): each pod runs its
group's items one by one; Argo aggregates one list per pod, which the consumer's pod and
the records read back put in item order, ``None`` where an item failed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import cloudpickle
import pytest

from dflow_like import Step, Workflow, argo_range, download_artifact
from dflow_like.python import PythonOPTemplate, Slices
from dflow_like.records import StepRecord

from . import gather_ops
from .controller import EmulatedArgo
from .harness import on_argo, on_local

pytestmark = pytest.mark.s3
IMAGE = "python:3.11"


def _grouped(items: list[int], group: int, by_value: bool = False, pool: int | None = None, **flags: Any) -> Workflow:
    wf = Workflow(name="grouped")
    expression = "{{item}}" if by_value else None
    slices = Slices(expression, input_parameter=["n"], output_parameter=["sq"], group_size=group, pool_size=pool)
    fan = Step("fan", PythonOPTemplate(gather_ops.square_unless_odd, image=IMAGE, slices=slices),
               parameters={"n": items}, **flags)  # fmt: skip
    wf.add(fan)
    wf.add(
        Step(
            "use", PythonOPTemplate(gather_ops.total, image=IMAGE), parameters={"values": fan.outputs.parameters["sq"]}
        )
    )
    return wf


def _loop(wf: Workflow) -> StepRecord:
    return next(r for r in wf.query_step() if r.type in ("StepGroup", "TaskGroup") and r.outputs.parameters)


def _pods(wf: Workflow) -> list[str]:
    return sorted(r.name for r in wf.query_step() if r.type == "Pod" and r.name.startswith("fan("))


CASES = {
    # (items, group size, step flags, what the consumer sees)
    "seven-in-threes": ([0, 2, 4, 6, 8, 10, 12], 3, {}, [0, 4, 16, 36, 64, 100, 144]),
    "one-pod": ([2, 4], 5, {}, [4, 16]),
    "failed-items-keep-places": ([0, 1, 2, 3, 4], 2, {"continue_on_num_success": 2}, [0, None, 4, None, 16]),
    "a-whole-group-failed": ([1, 3, 4, 6], 2, {"continue_on_failed": True}, [None, None, 16, 36]),
    "no-items": ([], 4, {}, []),
    # an explicit loop: item i slices element items[i], its value, as dflow (with_param[i], dflow/step.py)
    "with-param": ([0, 2, 4, 6, 8], 2, {"with_param": argo_range(1, 5)}, [4, 16, 36, 64]),
    "with-items-by-value": ([0, 2, 4, 6], 3, {"with_items": [3, 0, 2], "by_value": True}, [36, 0, 16]),
    # pool_size: a pod's items at once (forked), gathered in order all the same
    "pool": ([0, 2, 4, 6, 8, 10, 12], 4, {"pool": 3}, [0, 4, 16, 36, 64, 100, 144]),
    "pool-with-holes": ([0, 1, 2, 3, 4], 5, {"pool": 2, "continue_on_failed": True}, [0, None, 4, None, 16]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_grouped_step_runs_ceil_n_over_g_pods_and_gathers_as_locally(argo: EmulatedArgo, case: str) -> None:
    items, group, flags, expected = CASES[case]
    remote = _grouped(items, group, **flags)
    assert on_argo(argo, remote) == "Succeeded", argo.logs(str(remote.id))
    cloudpickle.register_pickle_by_value(gather_ops)
    local = _grouped(items, group, **flags)
    assert on_local(local) == "Succeeded"

    for wf in (local, remote):
        seen = wf.query_step(name="use")[0].outputs.parameters
        assert seen["values"].value == expected
        assert seen["total"].value == sum(v for v in expected if v is not None)
    if expected:
        assert _loop(remote).outputs.parameters["sq"].value == _loop(local).outputs.parameters["sq"].value == expected
    # one pod per group on Argo, named by its first item; one per item locally
    starts = range(0, len(expected), group)
    assert _pods(remote) == sorted(f"fan({g}:{first})" for g, first in enumerate(starts))
    assert len(_pods(remote)) == math.ceil(len(expected) / group)
    assert len(_pods(local)) == len(expected)


@pytest.mark.parametrize("pool", [None, 2])
def test_a_failed_item_fails_its_group_and_the_run_as_locally(argo: EmulatedArgo, pool: int | None) -> None:
    remote = _grouped([0, 2, 3, 4], 2, pool=pool)
    assert on_argo(argo, remote) == "Failed"
    assert "odd item 3" in argo.logs(str(remote.id))
    cloudpickle.register_pickle_by_value(gather_ops)
    local = _grouped([0, 2, 3, 4], 2, pool=pool)
    assert on_local(local) == "Failed"
    assert [r.phase for r in remote.query_step(name="use")] == [r.phase for r in local.query_step(name="use")] == []


def _with_notes(items: list[int], group: int, **flags: Any) -> Workflow:
    wf = Workflow(name="grouped-notes")
    slices = Slices(input_parameter=["n"], output_parameter=["sq"], output_artifact=["note"], group_size=group)
    fan = Step("fan", PythonOPTemplate(gather_ops.square_or_fail, image=IMAGE, slices=slices),
               parameters={"n": items}, **flags)  # fmt: skip
    wf.add(fan)
    collect = PythonOPTemplate(gather_ops.collect, image=IMAGE)
    values, notes = fan.outputs.parameters["sq"], fan.outputs.artifacts["note"]
    wf.add(Step("use", collect, parameters={"values": values}, artifacts={"notes": notes}))
    return wf


def _downloaded(ref: Any, dest: Path) -> dict[str, str]:
    download_artifact(ref, path=str(dest))
    return {str(p.relative_to(dest)): p.read_text() for p in sorted(dest.rglob("*")) if p.is_file()}


NOTES = {
    "all-succeed": ([0, 2, 4, 6, 8], 2, {}, [0, 4, 16, 36, 64]),
    "holes": ([0, 1, 2, 3, 4, 6], 4, {"continue_on_success_ratio": 0.5}, [0, None, 4, None, 16, 36]),
}


@pytest.mark.parametrize("case", list(NOTES))
def test_a_grouped_steps_output_artifacts_gather_as_locally(argo: EmulatedArgo, tmp_path: Path, case: str) -> None:
    items, group, flags, expected = NOTES[case]
    remote = _with_notes(items, group, **flags)
    assert on_argo(argo, remote) == "Succeeded", argo.logs(str(remote.id))
    cloudpickle.register_pickle_by_value(gather_ops)
    local = _with_notes(items, group, **flags)
    assert on_local(local) == "Succeeded"
    notes = [f"{n}^2" for n in items if n % 2 == 0]
    for wf in (local, remote):
        seen = wf.query_step(name="use")[0].outputs.parameters
        assert (seen["values"].value, seen["files"].value) == (expected, notes)
    mine, theirs = _loop(local).outputs.artifacts["note"], _loop(remote).outputs.artifacts["note"]
    assert theirs.positions == mine.positions and len(theirs.parts) == len(mine.parts) == len(notes)
    files = _downloaded(theirs, tmp_path / "from-argo")
    assert files == _downloaded(mine, tmp_path / "from-local")
    assert sorted(files.values()) == sorted(notes)
    assert len(_pods(remote)) == math.ceil(len(items) / group)
