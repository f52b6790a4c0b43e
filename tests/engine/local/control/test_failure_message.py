"""``query_message()`` of a failed run names the steps that failed it and their errors."""

from __future__ import annotations

from dflow_like import DAG, Step, Steps, Task, Workflow
from dflow_like.python import PythonOPTemplate, Slices

from .helpers import run
from .ops_reject import Reject


def test_one_failed_step_is_named_with_its_error() -> None:
    wf = Workflow("one")
    wf.add(Step("fine", PythonOPTemplate(Reject), parameters={"x": 2}))
    wf.add(Step("odd", PythonOPTemplate(Reject), parameters={"x": 3}))
    assert run(wf) == "Failed"
    assert wf.query_message() == "step odd failed: ValueError: x=3 rejected"


def test_tolerated_failures_are_not_blamed() -> None:
    wf = Workflow("tolerated")
    wf.add(Step("shrugged", PythonOPTemplate(Reject), parameters={"x": 1}, continue_on_failed=True))
    wf.add(Step("fatal", PythonOPTemplate(Reject), parameters={"x": 5}))
    assert run(wf) == "Failed"
    assert wf.query_message() == "step fatal failed: ValueError: x=5 rejected"


def test_failed_items_of_a_fan_out_inside_a_dag_and_nested_steps() -> None:
    inner = Steps("inner")
    inner.add(
        Step(
            "many",
            PythonOPTemplate(Reject, slices=Slices(input_parameter=["x"], output_parameter=["y"])),
            parameters={"x": [1, 2, 3, 5, 7]},
        )
    )
    dag = DAG("outer")
    dag.add(Task("nest", inner))
    wf = Workflow("nested", dag=dag)
    assert run(wf) == "Failed"
    message = wf.query_message()
    assert message.startswith("4 steps failed: many(0:")
    assert "ValueError: x=1 rejected" in message and "ValueError: x=5 rejected" in message
    assert message.endswith("; and 1 more") and "x=2" not in message


def test_a_succeeded_run_has_no_message() -> None:
    wf = Workflow("fine")
    wf.add(Step("even", PythonOPTemplate(Reject), parameters={"x": 4}))
    assert run(wf) == "Succeeded"
    assert wf.query_message() == ""
