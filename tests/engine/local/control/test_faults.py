"""continue_on_*, retries with backoff, TransientError/FatalError, timeouts that kill the whole tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from dflow_like import Step, Steps, Workflow, download_artifact
from dflow_like.python import PythonOPTemplate, Slices
from tests.polling import wait_gone

from .helpers import run
from .ops_control import Flaky, Hang, Note, Square


def flaky(tmp_path: Path, name: str, succeed_on: int, kind: str, **template: object) -> Step:
    return Step(
        name,
        PythonOPTemplate(Flaky, **template),  # type: ignore[arg-type]
        parameters={"counter": str(tmp_path / f"{name}.count"), "succeed_on": succeed_on, "kind": kind},
    )


def test_transient_error_is_retried_with_backoff(tmp_path: Path) -> None:
    wf = Workflow("transient")
    template = PythonOPTemplate(Flaky, retry_on_transient_error=3, retry_backoff=0.2)
    parameters = {"counter": str(tmp_path / "f.count"), "succeed_on": 3, "kind": "transient"}
    wf.add(Step("f", template, parameters={**parameters, "stamps": str(tmp_path / "stamps")}))
    assert run(wf) == "Succeeded"
    rec = wf.query_step(name="f")[0]
    assert rec.outputs.parameters["runs"].value == 3 and rec.attempts == 3
    starts = [float(t) for t in (tmp_path / "stamps").read_text().split()]
    assert starts[1] - starts[0] >= 0.2 and starts[2] - starts[1] >= 0.4  # backoff 0.2 s, then 0.4 s between runs
    logs = sorted((Path(rec.log_path or "").parent.parent).glob("*/log.txt"))
    assert len(logs) == 3 and "TransientError: run 1 failed" in logs[0].read_text()  # every attempt kept


def test_retry_on_transient_does_not_retry_other_failures(tmp_path: Path) -> None:
    wf = Workflow("plain")
    wf.add(flaky(tmp_path, "f", 3, "plain", retry_on_transient_error=3))
    assert run(wf) == "Failed"
    assert wf.query_step(name="f")[0].attempts == 1


def test_fatal_error_is_never_retried(tmp_path: Path) -> None:
    wf = Workflow("fatal")
    wf.add(flaky(tmp_path, "f", 3, "fatal", retry_on_failure_and_error=5))
    assert run(wf) == "Failed"
    rec = wf.query_step(name="f")[0]
    assert rec.attempts == 1 and "FatalError: run 1 failed" in rec.message


def test_retry_on_failure_retries_plain_exceptions(tmp_path: Path) -> None:
    wf = Workflow("failure")
    wf.add(flaky(tmp_path, "f", 2, "plain", retry_on_failure=2))
    assert run(wf) == "Succeeded"
    assert wf.query_step(name="f")[0].attempts == 2


@pytest.mark.parametrize("as_transient", [False, True])
def test_timeout_kills_the_whole_process_tree(tmp_path: Path, as_transient: bool) -> None:
    template = PythonOPTemplate(Hang, timeout=1, timeout_as_transient_error=as_transient, retry_on_transient_error=1)
    wf = Workflow("hang")
    wf.add(Step("hang", template, parameters={"pidfile": str(tmp_path / "grandchild.pid")}))
    assert run(wf) == "Failed"  # Hang sleeps 300 s: only the timeout ends it within run()'s bound
    rec = wf.query_step(name="hang")[0]
    assert "timed out after 1 s" in rec.message
    assert rec.attempts == (2 if as_transient else 1)  # a transient timeout is retried once
    grandchild = int((tmp_path / "grandchild.pid").read_text())
    wait_gone(grandchild, "the timed-out step's grandchild")


def test_continue_on_failed_lets_the_workflow_go_on(tmp_path: Path) -> None:
    wf = Workflow("goon")
    wf.add(
        Step(
            "bad",
            PythonOPTemplate(Flaky),
            parameters={"counter": str(tmp_path / "c"), "succeed_on": 9, "kind": "plain"},
            continue_on_failed=True,
        )
    )
    wf.add(Step("after", PythonOPTemplate(Square), parameters={"x": 2}))
    assert run(wf) == "Succeeded"
    assert wf.query_step(name="bad")[0].phase == "Failed" and wf.query_step(name="after")[0].phase == "Succeeded"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"continue_on_num_success": 2}, "Succeeded"),
        ({"continue_on_success_ratio": 0.5}, "Succeeded"),
        ({"continue_on_num_success": 3}, "Failed"),
    ],
)
def test_continue_on_num_success_and_ratio(tmp_path: Path, rule: dict[str, float], expected: str) -> None:
    template = PythonOPTemplate(Flaky, slices=Slices(input_parameter=["succeed_on"], output_parameter=["runs"]))
    wf = Workflow("partial")
    wf.add(
        Step(
            "items",
            template,
            parameters={"counter": str(tmp_path / "shared.count"), "succeed_on": [1, 1, 99, 99], "kind": "plain"},
            **rule,
        )
    )  # type: ignore[arg-type]
    phase = run(wf)
    assert phase == expected
    group = wf.query_step(name="items", type="StepGroup")[0]
    assert "2 of 4 items failed" in group.message


def test_exit_handler_runs_after_success_and_after_failure_and_sees_the_status(tmp_path: Path) -> None:
    for succeed_on, expected in ((1, "Succeeded"), (9, "Failed")):
        exit_steps = Steps("exit")
        exit_steps.add(
            Step(
                "note",
                PythonOPTemplate(Flaky),
                parameters={
                    "counter": str(tmp_path / f"exit-{expected}.count"),
                    "succeed_on": 1,
                    "kind": "{{workflow.status}}",
                },
            )
        )
        wf = Workflow("with-exit", on_exit=exit_steps)
        wf.add(flaky(tmp_path, f"main-{expected}", succeed_on, "plain"))
        assert run(wf) == expected
        note = wf.query_step(name="note")[0]
        assert note.phase == "Succeeded" and note.inputs.parameters["kind"].value == expected
        assert wf.query_step(name=f"{wf.id}.onExit")[0].type == "Steps"


@pytest.mark.parametrize("rule", [{"continue_on_num_success": 2}, {"continue_on_success_ratio": 0.5}])
def test_partial_results_keep_the_positions_of_their_items(tmp_path: Path, rule: dict[str, float]) -> None:
    """Items 1 and 3 fail: the gathered list keeps None in their places, the artifact names its items."""
    slices = Slices(input_parameter=["x"], output_parameter=["y"], output_artifact=["note"])
    wf = Workflow("partial-positions")
    wf.add(Step("sq", PythonOPTemplate(Note, slices=slices), parameters={"x": [1, -2, 3, -4]}, **rule))  # type: ignore[arg-type]
    assert run(wf) == "Succeeded"
    group = wf.query_step(name="sq", type="StepGroup")[0]
    assert group.outputs.parameters["y"].value == [1, None, 9, None]
    note = group.outputs.artifacts["note"]
    assert note.positions == (0, 2) and note.item_positions() == [0, 2]
    paths = download_artifact(note, path=tmp_path)
    assert paths == [str(tmp_path / "0" / "note.txt"), str(tmp_path / "2" / "note.txt")]
    assert [Path(p).read_text() for p in paths] == ["1^2", "3^2"]
    assert Path(download_artifact(note, path=tmp_path / "two", slice=2)[0]).read_text() == "3^2"
    with pytest.raises(IndexError, match=r"item 1 of .* left no output"):
        download_artifact(note, path=tmp_path / "one", slice=1)
