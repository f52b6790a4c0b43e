"""Run the step runner in a forked child: process isolation without interpreter start-up.

The engine process has already imported the user's code, so a ``fork()`` gives each
step its own process, session (for killing its whole tree), working directory and
log in about a millisecond, where a fresh interpreter costs ~130 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
import time
from dataclasses import dataclass
from typing import Any

from ...runner import codes
from ...runner.execute import run_step
from ...runner.spec import StepSpec

__all__ = ["Outcome", "kill_tree", "run_forked"]

_PR_SET_PDEATHSIG = 1


@dataclass
class Outcome:
    """How a runner process ended."""

    exit_code: int | None  # None when killed by a signal
    signal: int | None = None
    timed_out: bool = False
    pid: int = 0


def _die_with_parent() -> None:
    """Ask Linux to kill this child if the engine dies (so a resume never races it)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _child(spec: StepSpec, template: Any, log_path: str) -> None:
    code = codes.ERROR
    try:
        os.setsid()
        _die_with_parent()
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        os.environ.update(spec.envs)
        code = run_step(spec, template)
    except BaseException:
        with contextlib.suppress(Exception):
            import traceback

            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def kill_tree(pid: int) -> None:
    """Kill a runner child and everything it started (its session's process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def _exited(loop: asyncio.AbstractEventLoop, pid: int) -> asyncio.Future[None]:
    """A future resolved when ``pid`` exits (pidfd where Linux has it, else polling)."""
    future: asyncio.Future[None] = loop.create_future()
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        loop.create_task(_poll_exit(pid, future))
        return future

    def ready() -> None:
        loop.remove_reader(pidfd)
        os.close(pidfd)
        if not future.done():
            future.set_result(None)

    loop.add_reader(pidfd, ready)
    future.add_done_callback(lambda f: _close_if_cancelled(loop, pidfd, f))
    return future


def _close_if_cancelled(loop: asyncio.AbstractEventLoop, pidfd: int, future: asyncio.Future[None]) -> None:
    if future.cancelled():
        loop.remove_reader(pidfd)
        with contextlib.suppress(OSError):
            os.close(pidfd)


async def _poll_exit(pid: int, future: asyncio.Future[None]) -> None:
    while not future.done():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.002)
    if not future.done():
        future.set_result(None)


async def run_forked(spec: StepSpec, template: Any, log_path: str, timeout: float | None) -> Outcome:
    """Fork a runner child for ``spec`` and wait for it; kill its tree on timeout or cancel."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        _child(spec, template, log_path)
    loop = asyncio.get_running_loop()
    exited = _exited(loop, pid)
    timed_out = False
    started = time.monotonic()
    try:
        if timeout is not None:
            try:
                await asyncio.wait_for(asyncio.shield(exited), timeout)
            except asyncio.TimeoutError:
                timed_out = True
                kill_tree(pid)
                await exited
        else:
            await exited
    except asyncio.CancelledError:
        kill_tree(pid)
        await asyncio.shield(exited)
        os.waitpid(pid, 0)
        raise
    _, status = os.waitpid(pid, 0)
    del started
    if os.WIFSIGNALED(status):
        return Outcome(None, os.WTERMSIG(status), timed_out, pid)
    return Outcome(os.waitstatus_to_exitcode(status), None, timed_out, pid)
