"""Polling helpers for the reliability tests: no fixed sleeps, every wait bounded (``tests.polling``)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from dflow_like import Workflow
from dflow_like.engine.local.backend import LocalBackend
from tests.polling import alive, poll

__all__ = ["TIMEOUT", "alive", "engine_pid", "kill_engine", "kill_quietly", "poll", "read_pid"]

TIMEOUT = 60.0


def engine_pid(wf: Workflow) -> int:
    return int(LocalBackend()._row(wf.id or "")["engine_pid"])


def kill_engine(wf: Workflow) -> int:
    """kill -9 the run's engine and wait until the run shows it (``Error``); returns its pid."""
    pid = engine_pid(wf)
    os.kill(pid, signal.SIGKILL)
    poll(lambda: not alive(pid), f"engine {pid} to die")
    poll(lambda: wf.query_status() == "Error", f"the run to show Error once engine {pid} is killed")
    return pid


def read_pid(path: Path, timeout: float = 20.0) -> int:
    poll(lambda: path.exists() and path.read_text().strip(), f"{path.name} to be written", timeout)
    return int(path.read_text())


def kill_quietly(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
