"""``query_message()`` of a failed run names the steps that failed it and their errors."""

from __future__ import annotations

from pathlib import Path

from dflow_like import DAG, Step, Steps, Task, Workflow
from dflow_like.python import PythonOPTemplate, Slices

from .helpers import run
from .ops_reject import EndsProcess, Reject


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


def test_a_step_that_ends_its_process_without_outputs_says_so() -> None:
    """Before: "FileNotFoundError: ... outputs.json" (exit 0) and "runner exited with code 4"."""
    wf = Workflow("ended")
    wf.add(
        [
            Step("exit0", PythonOPTemplate(EndsProcess), parameters={"how": "exit0"}),
            Step("interrupt", PythonOPTemplate(EndsProcess), parameters={"how": "interrupt"}),
        ]
    )
    assert run(wf) == "Failed"
    [exit0], [interrupt] = wf.query_step(name="exit0"), wf.query_step(name="interrupt")
    assert exit0.phase == "Error"  # as Argo's node whose wait container finds no output file
    assert "ended (exit code 0) before the runner wrote its outputs: os._exit()" in exit0.message
    assert exit0.log_path and exit0.log_path in exit0.message
    assert "about to end" in Path(exit0.log_path).read_text()
    assert (interrupt.phase, interrupt.message) == ("Error", "KeyboardInterrupt")
    assert interrupt.log_path and "KeyboardInterrupt" in Path(interrupt.log_path).read_text()  # its traceback
