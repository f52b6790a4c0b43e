"""Bounded waits for tests: poll what a user could observe, never sleep a fixed time.

A fixed sleep after starting or killing something is a guess about how busy the machine
is: too short and the test flakes under load, too long and it wastes time. ``poll`` waits
exactly until the condition holds, and fails naming what it waited for after ``timeout``.
``gate`` is the OP side of the same idea: a step holds until the test opens a file.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

TIMEOUT = 60.0


def poll(condition: Callable[[], T], what: str, timeout: float = TIMEOUT, every: float = 0.01) -> T:
    """Wait until ``condition()`` is truthy and return it, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, killed but not yet reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(") ", 1)[-1][:1] != "Z"
    except OSError:
        return False


def wait_gone(pid: int, what: str = "", timeout: float = TIMEOUT) -> None:
    """Wait until process ``pid`` has died (after a kill, instead of sleeping)."""
    poll(lambda: not alive(pid), f"{what or 'process'} {pid} to die", timeout)


def gate(path: str | Path, timeout: float = TIMEOUT) -> None:
    """Inside an OP: hold until the test creates ``path``; a gate never opened fails the step."""
    deadline = time.monotonic() + timeout
    while not Path(path).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the test never opened the gate {path}")
        time.sleep(0.01)


def arrive(directory: str | Path, count: int, timeout: float = TIMEOUT) -> int:
    """Inside an OP: a barrier. Marks this process as started under ``directory`` and holds
    until ``count`` have started; returns how many had. Several steps that all pass it ran
    at the same time by construction, not because the machine happened to be fast."""
    here = Path(directory)
    here.mkdir(parents=True, exist_ok=True)
    (here / f"{os.getpid()}-{uuid.uuid4().hex}").touch()
    deadline = time.monotonic() + timeout
    while (seen := sum(1 for _ in here.iterdir())) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {seen} of {count} steps ever ran at the same time")
        time.sleep(0.01)
    return seen
