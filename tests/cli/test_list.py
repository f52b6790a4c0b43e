"""``dflow-like list``: one line per run from its summary, never from its steps (issue 18)."""

from __future__ import annotations

from typing import Any

import pytest

from dflow_like import Step, Workflow
from dflow_like._run_summary import RunListing, list_runs
from dflow_like.cli.main import main
from dflow_like.engine.argo.backend import ArgoBackend
from dflow_like.engine.local.state_store import StateStore
from dflow_like.python import PythonOPTemplate, Slices
from tests.ops_for_tests import Hello


def _run(names: list[str]) -> Workflow:
    wf = Workflow("greet")
    sliced = Slices(input_parameter=["name"], output_parameter=["greeting"], output_artifact=["file"])
    wf.add(Step("hello", PythonOPTemplate(Hello, slices=sliced), parameters={"name": names}))
    wf.submit()
    assert wf.wait(timeout=300) == "Succeeded", wf.query_message()
    return wf


def test_list_shows_each_runs_phase_start_and_step_count_without_reading_its_steps(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    small, large = _run(["Ada"]), _run([f"n{i}" for i in range(12)])
    expected = {wf.id: len(wf.query_step()) - 1 for wf in (small, large)}  # every record but the workflow's
    assert expected[large.id] > expected[small.id]

    def no_steps(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("dflow-like list read a run's step records")

    monkeypatch.setattr(StateStore, "nodes", no_steps)
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "PHASE", "STARTED", "STEPS"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == set(expected)
    for wf_id, count in expected.items():
        assert rows[wf_id][1] == "Succeeded" and rows[wf_id][-2:] == [str(count), "steps"]
    by_id = {run.id: run for run in list_runs()}
    for wf in (small, large):
        run = by_id[str(wf.id)]
        assert run.started is not None and run.finished is not None and run.started <= run.finished


class _ListingClient:
    """The Argo Server's list answer: full workflows, as ``ArgoClient.list`` returns them."""

    def list(self, label_selector: str | None = None) -> list[dict[str, Any]]:
        nodes = {f"w-{i}": {"id": f"w-{i}", "phase": "Succeeded"} for i in range(4)}
        done = {
            "metadata": {"name": "w"},
            "status": {"phase": "Succeeded", "startedAt": "2024-05-01T12:00:00Z",
                       "finishedAt": "2024-05-01T12:00:05Z", "nodes": nodes},
        }  # fmt: skip
        return [done, {"metadata": {"name": "fresh"}, "status": None}]

    def get(self, name: str) -> dict[str, Any]:
        raise AssertionError("a summary of an Argo run needs no get of each workflow")


def test_argo_summaries_come_from_one_list_call() -> None:
    backend = ArgoBackend(client=_ListingClient())  # type: ignore[arg-type]
    assert backend.summaries() == [
        RunListing("w", "Succeeded", 1714564800.0, 1714564805.0, 3),
        RunListing("fresh", "Pending", None, None, 0),
    ]


def test_list_shows_the_newest_run_first(capsys: pytest.CaptureFixture[str]) -> None:
    """Not by id: a run named "aa" started first is listed after "zz" started later."""
    first = Workflow("aa")
    first.add(Step("hello", PythonOPTemplate(Hello), parameters={"name": "a"}))
    first.submit()
    assert first.wait(timeout=300) == "Succeeded"
    second = Workflow("zz")
    second.add(Step("hello", PythonOPTemplate(Hello), parameters={"name": "b"}))
    second.submit()
    assert second.wait(timeout=300) == "Succeeded"
    assert main(["list"]) == 0
    ids = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]]
    assert ids == [second.id, first.id]
