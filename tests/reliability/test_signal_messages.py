"""Item 11: a step killed by a signal says which, without guessing "out of memory";
``retry_on_failure`` retries it, as Argo's ``OnFailure`` does (Argo marks a node whose
main container ended 128+N ``Failed``: ``inferFailedReason`` in
``workflow/controller/operator.go``; ``processNodeRetries`` retries ``Failed`` nodes
under ``OnFailure``); a dead worker is our machinery's ``Error``, and says so."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from dflow_like import Step, Workflow
from dflow_like.python import PythonOPTemplate

from .helpers import TIMEOUT, read_pid
from .ops_rel import Announce, SelfKill


def _self_kill(tmp_path: Path, kills: int, sig: int, **template: object) -> Workflow:
    wf = Workflow("signals")
    wf.add(
        Step(
            "victim",
            PythonOPTemplate(SelfKill, **template),  # type: ignore[arg-type]
            parameters={"counter": str(tmp_path / "runs"), "kills": kills, "signal": int(sig)},
        )
    )
    return wf


def test_a_step_killed_by_a_signal_says_which_and_guesses_nothing(tmp_path: Path) -> None:
    wf = _self_kill(tmp_path, 1, signal.SIGKILL)
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Failed"
    message = wf.query_step(name="victim")[0].message
    assert "SIGKILL" in message and "137" in message and "memory" not in message


def test_retry_on_failure_retries_a_step_killed_by_a_signal(tmp_path: Path) -> None:
    wf = _self_kill(tmp_path, 2, signal.SIGTERM, retry_on_failure=2)
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    rec = wf.query_step(name="victim")[0]
    assert rec.attempts == 3 and rec.outputs.parameters["runs"].value == 3


def test_a_dead_worker_is_named_and_not_blamed_on_memory(tmp_path: Path) -> None:
    gate, pidfile = tmp_path / "gate", tmp_path / "worker.pid"
    gate.touch()
    wf = Workflow("worker-death")
    wf.add(Step("held", PythonOPTemplate(Announce), parameters={"pidfile": str(pidfile), "gate": str(gate)}))
    wf.submit()
    worker = read_pid(pidfile)
    os.kill(worker, signal.SIGKILL)
    assert wf.wait(timeout=TIMEOUT) in ("Failed", "Error")
    rec = wf.query_step(name="held")[0]
    message = rec.message
    assert rec.phase == "Error", message
    assert f"worker process {worker}" in message and "SIGKILL" in message and "memory" not in message
