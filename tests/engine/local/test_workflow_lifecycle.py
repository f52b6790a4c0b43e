"""What a run's lifecycle calls answer on the local engine, when they are used out of turn."""

from __future__ import annotations

from pathlib import Path

import pytest

from dflow_like import Step, Workflow, list_workflows
from dflow_like.python import PythonOPTemplate
from tests.ops_for_tests import Fail, Hello, Sleep
from tests.polling import poll

TIMEOUT = 60


def hello(name: str = "wf") -> Workflow:
    wf = Workflow(name)
    wf.add(Step("hello", PythonOPTemplate(Hello), parameters={"name": "x"}))
    return wf


def test_submit_twice_is_refused_and_starts_nothing() -> None:
    wf = hello()
    wf_id = wf.submit()
    with pytest.raises(RuntimeError, match=rf"already submitted \(id '{wf_id}'\)"):
        wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    assert list_workflows() == [wf_id]


def test_add_after_submit_is_refused() -> None:
    wf = hello()
    wf.submit()
    with pytest.raises(RuntimeError, match="a step added now would never run"):
        wf.add(Step("late", PythonOPTemplate(Hello), parameters={"name": "y"}))
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    assert [s.name for s in wf.query_step(type="Pod")] == ["hello"]


def test_delete_removes_a_finished_local_run() -> None:
    wf = hello()
    wf_id = wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    wf.delete()
    assert wf_id not in list_workflows()
    with pytest.raises(KeyError, match=f"no local workflow '{wf_id}'"):
        Workflow(id=wf_id).query_status()


def test_delete_refuses_a_running_run(tmp_path: Path) -> None:
    wf = Workflow("sleepy")
    wf.add(Step("nap", PythonOPTemplate(Sleep), parameters={"seconds": 30, "log": str(tmp_path / "log")}))
    wf.submit()
    with pytest.raises(RuntimeError, match="terminate\\(\\) it first"):
        wf.delete()
    wf.terminate()
    wf.wait(timeout=TIMEOUT)
    wf.delete()
    assert list_workflows() == []


def test_retry_reruns_the_failed_steps_of_a_local_run() -> None:
    wf = Workflow("retried")
    wf.add(Step("hello", PythonOPTemplate(Hello), parameters={"name": "x"}))
    wf.add(Step("fail", PythonOPTemplate(Fail), parameters={"x": 1}))
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Failed"
    first, failed = wf.query_step(name="hello")[0], wf.query_step(name="fail")[0]
    wf.retry()
    assert wf.wait(timeout=TIMEOUT) == "Failed"  # Fail fails again; hello is kept, not re-run
    again = wf.query_step(name="hello")[0]
    assert (again.phase, again.attempts, again.log_path) == ("Succeeded", first.attempts, first.log_path)
    assert (wf.query_step(name="fail")[0].end_time or 0) > (failed.end_time or 0)  # ran again


def test_retry_of_a_succeeded_run_and_resubmit_say_why_not() -> None:
    wf = hello()
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    with pytest.raises(RuntimeError, match="is Succeeded: only a Failed or Error run can be retried"):
        wf.retry()
    with pytest.raises(RuntimeError, match="resubmit\\(\\) is an Argo server call"):
        wf.resubmit()


def test_retry_of_a_succeeded_run_with_tolerated_failures_names_them_and_how_to_retry_one() -> None:
    """A run that tolerated a failed item (``continue_on_num_success``) is Succeeded, so Argo's
    rule refuses ``retry()``; the refusal names the failed items and the call that re-runs one."""
    from dflow_like.python import Slices
    from tests.view.ops_for_view import Energy

    wf = Workflow("tolerant")
    template = PythonOPTemplate(Energy, slices=Slices(input_parameter=["x"], output_parameter=["energy"]))
    wf.add(Step("energy", template, parameters={"x": [0, 1, 2], "fail": [1]}, continue_on_num_success=2))
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    with pytest.raises(RuntimeError, match=r"tolerated failed steps \(energy\(1:1\)\).*dflow-like retry .* NAME"):
        wf.retry()
    before = wf.query_step(name="energy(1:1)")[0].log_path
    wf.retry(step="energy(1:1)")
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    assert wf.query_step(name="energy(1:1)")[0].log_path != before  # it ran again, in a new attempt


@pytest.mark.parametrize("start", ["auto", "spawn"])
def test_terminate_right_after_a_resume_stops_the_run_as_terminated(tmp_path: Path, start: str) -> None:
    """Terminate reaches an engine that is still starting (the dashboard's retry, then
    terminate a moment later): before, the signal killed it mid start-up and the run read
    "Error: engine process gone", or, sent before its pid was known, the engine's start
    wiped the request and the run went on for good."""
    from dflow_like import config

    config["engine_start"] = start
    wf = Workflow("stopped")
    wf.add(Step("nap", PythonOPTemplate(Sleep), parameters={"seconds": 60, "log": str(tmp_path / "log")}))
    wf.submit()
    poll(lambda: [s.phase for s in wf.query_step(name="nap")] == ["Running"], "nap to run")
    wf.terminate()
    assert wf.wait(timeout=TIMEOUT) == "Failed"
    wf.resume()
    wf.terminate()  # at once: the new engine has not installed its own handlers yet
    assert wf.wait(timeout=TIMEOUT) == "Failed", wf.query_message()
    assert wf.query_message() == "terminated"
    assert [s.phase for s in wf.query_step(name="nap")] == ["Failed"]


def test_terminate_right_after_submit_stops_the_run_as_terminated(tmp_path: Path) -> None:
    wf = Workflow("stopped-early")
    wf.add(Step("nap", PythonOPTemplate(Sleep), parameters={"seconds": 60, "log": str(tmp_path / "log")}))
    wf.submit()
    wf.terminate()  # the engine is still loading the workflow
    assert wf.wait(timeout=TIMEOUT) == "Failed", wf.query_message()
    assert wf.query_message() == "terminated"
    assert not (tmp_path / "log").exists() or wf.query_step(name="nap")[0].phase == "Failed"
