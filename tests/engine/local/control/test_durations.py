"""Step times: kept steps keep theirs after resume; time spent queued is not time spent running."""

from __future__ import annotations

from pathlib import Path

from dflow_like import Step, Workflow
from dflow_like.python import PythonOPTemplate

from .helpers import run
from .ops_control import Square
from .ops_reject import Reject


def test_resume_of_a_failed_run_keeps_the_times_of_kept_steps() -> None:
    wf = Workflow("times")
    wf.add(Step("first", PythonOPTemplate(Reject), parameters={"x": 2}))
    wf.add(Step("second", PythonOPTemplate(Reject), parameters={"x": 3}))
    assert run(wf) == "Failed"
    before = wf.query_step(name="first")[0]
    wf.resume()
    assert wf.wait(timeout=60) == "Failed"
    after = wf.query_step(name="first")[0]
    assert (after.start_time, after.end_time, after.run_start_time) == (
        before.start_time,
        before.end_time,
        before.run_start_time,
    )
    for rec in wf.query_step():
        assert rec.duration is not None and rec.duration >= 0, rec
        assert rec.queued is None or rec.queued >= 0, rec


def test_queued_time_is_apart_from_running_time(tmp_path: Path) -> None:
    """With ``parallelism=1`` three steps of one stage run one after another: the last one
    waits at least as long as the second ran, and its duration counts none of that wait."""
    wf = Workflow("queue", parallelism=1)
    wf.add(
        [Step(f"sq{i}", PythonOPTemplate(Square), parameters={"x": i, "log": str(tmp_path / "log")}) for i in range(3)]
    )
    assert run(wf) == "Succeeded"
    steps = sorted(wf.query_step(type="Pod"), key=lambda r: r.run_start_time or 0.0)
    for rec in steps:
        assert rec.start_time is not None and rec.run_start_time is not None and rec.end_time is not None
        assert rec.start_time <= rec.run_start_time <= rec.end_time
    first, second, last = steps
    assert second.run_start_time >= (first.end_time or 0)  # one at a time
    assert last.queued is not None and last.queued >= (second.duration or 0) > 0
    assert last.duration == (last.end_time or 0) - (last.run_start_time or 0)
