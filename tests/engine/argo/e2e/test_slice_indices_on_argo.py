"""Which element a looped item slices, on Argo as locally: its value, as in dflow.

With no slices expression dflow's ``Slices`` uses ``"{{item}}"`` (``Slices.__init__``,
dflow/python/python_op_template.py) and the pod takes ``obj[slices]``
(``handle_input_parameter``, dflow/python/utils.py); with ``group_size`` the pod's items
are ``with_param[i]`` (``Step.__init__``, dflow/step.py). So ``with_param=[3, 5, 7]`` over
a list of ten slices elements 3, 5 and 7, not 0, 1 and 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cloudpickle
import pytest

from dflow_like import Step, Workflow, argo_sequence
from dflow_like.python import PythonOPTemplate, Slices

from . import gather_ops
from .compare import differences
from .controller import EmulatedArgo
from .harness import on_argo, on_local

pytestmark = pytest.mark.s3
IMAGE = "python:3.11"
VALUES = list(range(10, 20))


def _loop(group: int | None, **loop: Any) -> Workflow:
    wf = Workflow(name="indices")
    slices = Slices(input_parameter=["n"], output_parameter=["n"], group_size=group)
    fan = Step("fan", PythonOPTemplate(gather_ops.twice, image=IMAGE, slices=slices), parameters={"n": VALUES}, **loop)
    wf.add(fan)
    wf.add(
        Step("use", PythonOPTemplate(gather_ops.total, image=IMAGE), parameters={"values": fan.outputs.parameters["n"]})
    )
    return wf


CASES = {
    "with-param": (None, {"with_param": [3, 5, 7]}, [3, 5, 7]),
    "with-items": (None, {"with_items": [9, 0, 4]}, [9, 0, 4]),
    "with-sequence": (None, {"with_sequence": argo_sequence(start=6, count=3)}, [6, 7, 8]),
    "grouped-with-param": (2, {"with_param": [3, 5, 7]}, [3, 5, 7]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_item_slices_the_element_its_value_names_on_argo_as_locally(
    argo: EmulatedArgo, tmp_path: Path, case: str
) -> None:
    group, loop, picked = CASES[case]
    expected = [2 * VALUES[i] for i in picked]
    remote = _loop(group, **loop)
    assert on_argo(argo, remote) == "Succeeded", argo.logs(str(remote.id))
    cloudpickle.register_pickle_by_value(gather_ops)
    local = _loop(group, **loop)
    assert on_local(local) == "Succeeded"
    for wf in (local, remote):
        assert wf.query_step(name="use")[0].outputs.parameters["values"].value == expected
    if group is None:  # a grouped step's pods are not the local engine's items
        assert differences(local, remote, tmp_path) == []


def test_an_item_that_is_no_index_fails_the_step_on_argo_as_locally(argo: EmulatedArgo) -> None:
    remote = _loop(None, with_param=["a", "b"])
    assert on_argo(argo, remote) == "Failed"
    assert "'a', not an index" in argo.logs(str(remote.id))
    cloudpickle.register_pickle_by_value(gather_ops)
    local = _loop(None, with_param=["a", "b"])
    assert on_local(local) == "Failed"
    messages = [r.message for r in local.query_step() if r.name == "fan(0:a)"]
    assert messages and all("'a', not an index" in m for m in messages)
    assert [r.phase for r in remote.query_step(name="use")] == [r.phase for r in local.query_step(name="use")] == []
