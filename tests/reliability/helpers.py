"""Polling helpers for the reliability tests: no fixed sleeps, every wait bounded."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from dflow_like import Workflow
from dflow_like.engine.local.backend import LocalBackend

TIMEOUT = 60.0


def poll(condition: Callable[[], object], what: str, timeout: float = TIMEOUT) -> None:
    """Wait until ``condition()`` is true, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


def engine_pid(wf: Workflow) -> int:
    return int(LocalBackend()._row(wf.id or "")["engine_pid"])


def kill_engine(wf: Workflow) -> int:
    """kill -9 the run's engine and wait until it is gone; returns its pid."""
    pid = engine_pid(wf)
    os.kill(pid, signal.SIGKILL)
    poll(lambda: not alive(pid), f"engine {pid} to die")
    return pid


def read_pid(path: Path, timeout: float = 20.0) -> int:
    poll(lambda: path.exists() and path.read_text().strip(), f"{path.name} to be written", timeout)
    return int(path.read_text())


def kill_quietly(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
