"""``continue_on_num_success`` is a floor on the items that succeeded, also when none failed.

dflow checks it after the loop whatever happened (``CheckNumSuccess`` in dflow's
``src/dflow/util_ops.py`` asserts ``succ >= threshold``), and so does our Argo
compilation (``engine/argo/compile/thresholds.py``); the local engine let a loop of 2
items pass a floor of 5 because nothing failed.
"""

from __future__ import annotations

from dflow_like import Step, Workflow
from dflow_like.python import PythonOPTemplate, Slices
from tests.view.ops_for_view import Energy

from .helpers import run


def _loop(needed: int) -> Workflow:
    wf = Workflow("floor")
    template = PythonOPTemplate(Energy, slices=Slices(input_parameter=["x"], output_parameter=["energy"]))
    wf.add(Step("energy", template, parameters={"x": [0, 1], "fail": []}, continue_on_num_success=needed))
    return wf


def test_fewer_items_than_the_floor_fail_even_when_none_failed() -> None:
    wf = _loop(5)
    assert run(wf) == "Failed"
    group = wf.query_step(name="energy", type="StepGroup")[0]
    assert group.message == "2 of 2 items succeeded; continue_on_num_success=5 is not met"  # as the Argo check says


def test_a_floor_the_items_reach_passes() -> None:
    assert run(_loop(2)) == "Succeeded"
