"""After the engine is killed, its unfinished steps read as what they are, and resume finishes them.

A user who kills the engine (or loses the machine) runs ``dflow-like status``: the run says
Error, and so must the step that was running (not ``Running`` with a clock still counting);
its log and partial files stay where ``dflow-like logs`` points, beside the new attempt.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from dflow_like import Step, Workflow
from dflow_like._notebook import workflow_html
from dflow_like.cli.main import main
from dflow_like.engine.local.backend import LocalBackend
from dflow_like.python import PythonOPTemplate
from dflow_like.ui.store import Runs

from .helpers import TIMEOUT
from .ops_gate import Gated


def _until(condition: object, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_a_step_running_when_the_engine_dies_reads_error_then_resume_finishes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gate = tmp_path / "gate"
    wf = Workflow("killed")
    wf.add(Step("slow", PythonOPTemplate(Gated), parameters={"gate": str(gate)}))
    wf.submit()
    record = lambda: next(iter(wf.query_step(name="slow")), None)  # noqa: E731
    _until(
        lambda: (rec := record()) is not None and rec.log_path and "started" in Path(rec.log_path).read_text(),
        "the step",
    )
    os.kill(int(LocalBackend()._row(wf.id or "")["engine_pid"]), signal.SIGKILL)
    _until(lambda: wf.query_status() == "Error", "the run to read Error")

    assert f"`dflow-like resume {wf.id}`" in wf.query_message()  # what to type, for a user at a shell
    killed = wf.query_step(name="slow")[0]
    assert killed.phase == "Error" and "resume()" in killed.message
    assert all(r.phase != "Running" for r in wf.query_step())  # the run's own record too
    main(["status", wf.id or ""])
    status = capsys.readouterr().out
    assert " Running " not in status and "the engine died while this ran" in status
    view = workflow_html(Workflow(id=wf.id))  # the notebook's picture of the reattached run
    assert "Running" not in view and "1/1 steps done" in view and "slow (gated): Error" in view
    runs = Runs()  # the dashboard's reader
    board = runs.summary(wf.id or "", runs.plan(wf.id or ""))
    assert board.counts == {"Error": 1} and all(st.phase != "Running" for st in board.states.values())
    attempt = Path(killed.log_path or "").parent
    assert (attempt / "workdir" / "partial.txt").read_text() == "half way"  # its partial output is kept

    gate.touch()
    wf.resume()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    done = wf.query_step(name="slow")[0]
    assert done.phase == "Succeeded" and Path(done.log_path or "").parent != attempt
    assert (attempt / "log.txt").read_text().startswith("started")  # the killed attempt's log, beside the new one
    capsys.readouterr()
    main(["logs", wf.id or "", "slow"])
    assert f"earlier attempt: {attempt / 'log.txt'}" in capsys.readouterr().out  # and `dflow-like logs` says where
