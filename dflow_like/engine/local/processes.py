"""A step's own process: what a forked runner child does, and how it ends.

Workers (``workers.py``) have already imported the user's code, so a ``fork()`` gives
each step its own process, session (for killing its whole tree), working directory
and log for a couple of milliseconds, where a fresh interpreter costs ~130 ms.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...runner import codes
from ...runner.execute import run_step
from ...runner.spec import StepSpec

__all__ = ["Outcome", "kill_tree"]

_PR_SET_PDEATHSIG = 1


@dataclass
class Outcome:
    """How a runner process ended."""

    exit_code: int | None  # None when killed by a signal
    signal: int | None = None
    timed_out: bool = False
    pid: int = 0
    outputs: str | None = None  # outputs.json, when the executor already read it
    reason: str = ""  # what the executor knows of the end (e.g. a Slurm state)


@functools.cache
def _libc() -> Any:
    """libc, loaded once in the parent (a dlopen in every child costs ~0.5 ms)."""
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _die_with_parent() -> None:
    """Ask Linux to kill this child if the engine dies (so a resume never races it)."""
    libc = _libc()
    if libc is not None and sys.platform.startswith("linux"):
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _child(spec_json: str, template: Any, log_path: str, after: Callable[[StepSpec], None] | None = None) -> None:
    """A step's process, forked from a worker (whose signal handlers are the defaults).

    Never returns: whatever happens, the process ends here with the step's exit code.
    ``after`` runs once the step has run (the worker learns what it imported).
    """
    code = codes.ERROR
    try:
        spec = StepSpec.from_json(spec_json)
        os.setsid()
        _die_with_parent()
        # The step's directories are made here, in parallel, not by the engine: a mkdir
        # costs ~0.1 ms of kernel time on a VM, and the engine's loop is serial.
        os.makedirs(os.path.join(spec.attempt_dir, "workdir"), exist_ok=True)
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        if spec.envs:
            os.environ.update(spec.envs)
        code = run_step(spec, template)
        if after is not None:
            after(spec)
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
