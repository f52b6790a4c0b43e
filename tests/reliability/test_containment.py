"""Item 5: every process a step starts is contained and killed with it, including a
daemon that left the step's session (``setsid`` + fork): on timeout, on ``terminate()``,
when the engine is killed, and when the step ends leaving it behind (as Argo ends a
pod's containers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dflow_like import Step, Workflow
from dflow_like.python import PythonOPTemplate

from .helpers import TIMEOUT, alive, kill_engine, kill_quietly, poll, read_pid
from .ops_rel import Escape


@pytest.fixture
def daemon_pidfile(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "daemon.pid"
    yield path
    if path.exists() and path.read_text().strip():
        kill_quietly(int(path.read_text()))  # never leave one behind, whatever the outcome


def _escaping_run(pidfile: Path, gate: Path, **template: object) -> Workflow:
    wf = Workflow("escape")
    step = Step(
        "escape",
        PythonOPTemplate(Escape, **template),  # type: ignore[arg-type]
        parameters={"pidfile": str(pidfile), "gate": str(gate)},
    )
    wf.add(step)
    return wf


def test_timeout_kills_a_daemon_that_left_the_steps_session(tmp_path: Path, daemon_pidfile: Path) -> None:
    gate = tmp_path / "gate"
    gate.touch()
    wf = _escaping_run(daemon_pidfile, gate, timeout=3)
    wf.submit()
    daemon = read_pid(daemon_pidfile)
    assert wf.wait(timeout=TIMEOUT) == "Failed"
    assert "timed out" in wf.query_step(name="escape")[0].message
    poll(lambda: not alive(daemon), f"daemon {daemon} to be killed with its step", 15)


def test_terminate_kills_a_daemon_of_a_running_step(tmp_path: Path, daemon_pidfile: Path) -> None:
    gate = tmp_path / "gate"
    gate.touch()
    wf = _escaping_run(daemon_pidfile, gate)
    wf.submit()
    daemon = read_pid(daemon_pidfile)
    wf.terminate()
    assert wf.wait(timeout=TIMEOUT) == "Failed"
    poll(lambda: not alive(daemon), f"daemon {daemon} to be killed by terminate()", 15)


def test_engine_death_kills_a_daemon_of_a_running_step(tmp_path: Path, daemon_pidfile: Path) -> None:
    gate = tmp_path / "gate"
    gate.touch()
    wf = _escaping_run(daemon_pidfile, gate)
    wf.submit()
    daemon = read_pid(daemon_pidfile)
    kill_engine(wf)
    poll(lambda: not alive(daemon), f"daemon {daemon} to die with the engine", 15)


def test_a_step_that_ends_takes_its_leftover_daemon_with_it(tmp_path: Path, daemon_pidfile: Path) -> None:
    wf = _escaping_run(daemon_pidfile, tmp_path / "no-gate")
    assert wf.submit() and wf.wait(timeout=TIMEOUT) == "Succeeded"
    daemon = read_pid(daemon_pidfile)
    poll(lambda: not alive(daemon), f"daemon {daemon} to end with its step", 15)
