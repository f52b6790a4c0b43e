"""Keys, reuse of earlier runs (sliced steps too), and resume after the engine is killed."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from dflow_like import InputParameter, Inputs, Step, Steps, Workflow
from dflow_like.python import PythonOPTemplate, Slices
from tests.polling import gate, poll

from .helpers import TIMEOUT, run
from .ops_control import Relax, Square


def keyed_slices(counter: Path) -> Workflow:
    template = PythonOPTemplate(Relax, slices=Slices(input_parameter=["residual"], output_parameter=["residual"]))
    wf = Workflow("keyed")
    wf.add(
        Step(
            "relax",
            template,
            parameters={"residual": [8.0, 4.0, 2.0], "tol": 0.1, "counter": str(counter)},
            key="relax-{{item}}",
        )
    )
    wf.add(Step("sq", PythonOPTemplate(Square), parameters={"x": 3}, key="square"))
    return wf


def test_keys_with_item_expressions_and_queries(tmp_path: Path) -> None:
    wf = keyed_slices(tmp_path / "runs")
    assert run(wf) == "Succeeded"
    assert sorted(wf.query_keys_of_steps()) == ["relax-0", "relax-1", "relax-2", "square"]
    assert wf.query_step_by_key("relax-1")[0].outputs.parameters["residual"].value == 2.0
    assert [r.key for r in wf.query_step(key=["square", "relax-0"])] == ["relax-0", "square"]


def test_reuse_steps_from_an_earlier_run_including_slice_items(tmp_path: Path) -> None:
    counter = tmp_path / "runs"
    first = keyed_slices(counter)
    assert run(first) == "Succeeded"
    assert len(counter.read_text().split()) == 3
    reused = [first.query_step_by_key(k)[0] for k in ("relax-0", "relax-2", "square")]
    reused[2].modify_output_parameter("y", 1000)
    second = keyed_slices(counter)
    assert run(second, reuse_step=reused) == "Succeeded"
    assert len(counter.read_text().split()) == 4  # only relax-1 ran again
    assert second.query_step_by_key("square")[0].outputs.parameters["y"].value == 1000
    assert second.query_step_by_key("relax-0")[0].message.startswith("reused from")
    group = second.query_step(name="relax", type="StepGroup")[0]
    assert group.outputs.parameters["residual"].value == [4.0, 2.0, 1.0]


def test_reuse_record_that_does_not_fit_the_template_is_a_clear_error(tmp_path: Path) -> None:
    other = Workflow("other")
    other.add(Step("sq", PythonOPTemplate(Square), parameters={"x": 2}, key="k"))
    assert run(other) == "Succeeded"
    record = other.query_step_by_key("k")[0]
    wf = Workflow("mismatch")
    wf.add(Step("relax", PythonOPTemplate(Relax), parameters={"residual": 1.0, "tol": 0.1}, key="k"))
    assert run(wf, reuse_step=[record]) == "Failed"
    message = wf.query_step(name="relax")[0].message
    assert "step 'relax'" in message and "does not fit" in message and "parameter 'residual'" in message


def _engine_pid(wf: Workflow) -> int:
    from dflow_like.engine.local.backend import LocalBackend

    return int(LocalBackend()._row(wf.id or "")["engine_pid"])


def test_resume_after_kill_9_keeps_succeeded_steps(tmp_path: Path) -> None:
    counter = tmp_path / "runs"
    loop = Steps("loop", inputs=Inputs(parameters={"residual": InputParameter(), "counter": InputParameter()}))
    step = Step(
        "relax",
        PythonOPTemplate(_held_relax()),
        parameters={"residual": loop.inputs.parameters["residual"], "counter": loop.inputs.parameters["counter"]},
    )
    loop.add(step)
    loop.add(
        Step(
            "again",
            loop,
            parameters={"residual": step.outputs.parameters["residual"], "counter": loop.inputs.parameters["counter"]},
            when=f"{step.outputs.parameters['residual']} > 0.02",
        )
    )
    wf = Workflow("crash", steps=loop, parameters={"residual": 1.0, "counter": str(counter)})
    wf.submit()
    poll(lambda: len(wf.query_step(name="relax", phase="Succeeded")) >= 3, "three relax steps", TIMEOUT)
    os.kill(_engine_pid(wf), signal.SIGKILL)
    poll(lambda: wf.query_status() == "Error", "the run to show Error once its engine is killed")
    Path(f"{counter}.gate").touch()
    done_before = {r.id for r in wf.query_step(name="relax", phase="Succeeded")}
    assert "resume()" in wf.query_message()
    wf.resume()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    relaxes = wf.query_step(name="relax")
    assert len(relaxes) == 6 and all(r.phase == "Succeeded" for r in relaxes)  # 1/2**6 < 0.02
    assert done_before <= {r.id for r in relaxes}
    runs = counter.read_text().split()
    assert len(runs) - 6 <= 1  # at most the step running at the kill ran twice; no succeeded step did


def _held_relax() -> object:
    from dflow_like.python import OP

    @OP.function
    def held_relax(residual: float, counter: str) -> {"residual": float}:  # type: ignore[valid-type]  # noqa: F821
        if residual < 0.2:  # the fourth round holds until the test has killed the engine
            gate(counter + ".gate")
        with open(counter, "a") as fh:
            fh.write(f"{residual}\n")
        return {"residual": residual / 2}

    return held_relax


def test_resume_is_refused_while_the_engine_runs(tmp_path: Path) -> None:
    wf = keyed_slices(tmp_path / "runs")
    wf.submit()
    with pytest.raises(RuntimeError, match="still running"):
        wf.resume()
    wf.wait(timeout=TIMEOUT)
