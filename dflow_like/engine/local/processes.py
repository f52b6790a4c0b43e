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
import time
from collections.abc import Callable
from typing import Any

from ...runner.contract import Outcome
from ...runner.execute import run_step
from ...runner.limits import MEMORY_KEY, limit_memory
from ...runner.spec import StepSpec
from ...runner.step_process import enter_step, leave_child, log_to
from . import cgroups
from .titles import retitle

__all__ = ["Outcome", "become_subreaper", "kill_tree", "sweep_children"]

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
SWEEP_LIMIT = 10.0  # seconds a sweep may take (a fork bomb outruns it, nothing else does)


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

    def body() -> int:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the worker's handler is not the step's
        spec = StepSpec.from_json(spec_json)
        os.setsid()
        _die_with_parent()
        retitle(f"dflow-like step {spec.step_name} {spec.workflow_id}")  # what ps and top show
        # The step's directories are made here, in parallel, not by the engine: a mkdir
        # costs ~0.1 ms of kernel time on a VM, and the engine's loop is serial.
        os.makedirs(os.path.join(spec.attempt_dir, "workdir"), exist_ok=True)
        log_to(log_path)
        enter_step(spec)  # before the user's code
        size = spec.extra.get(MEMORY_KEY)
        if isinstance(size, int):
            if cgroups.enter(size):  # the kernel counts the step and all it starts
                del spec.extra[MEMORY_KEY]
            elif not spec.script:  # else an address-space limit; a script's command gets it at exec
                limit_memory(size, inherited=True)
        code = run_step(spec, template)
        if after is not None:
            after(spec)
        return code

    leave_child(body)


def become_subreaper() -> bool:
    """Adopt this process's orphaned descendants (Linux 3.4+), instead of init.

    A step's grandchild that calls ``setsid`` and forks (a daemon) leaves the step's
    session, so killing the session misses it; as a subreaper's child it is still
    found, and killed, when its step ends (``sweep_children``).
    """
    libc = _libc()
    if libc is None or not sys.platform.startswith("linux"):
        return False
    return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


def _children() -> list[int]:
    """This process's children (``/proc/<pid>/task/<pid>/children``, else a scan of ``/proc``)."""
    me = os.getpid()
    try:
        with open(f"/proc/{me}/task/{me}/children") as fh:
            return [int(pid) for pid in fh.read().split()]
    except OSError:
        pass
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError), open(f"/proc/{entry}/stat") as fh:
                if int(fh.read().rsplit(") ", 1)[1].split()[1]) == me:
                    found.append(int(entry))
    return found


def sweep_children() -> None:
    """Kill and reap every child of this process, adopted orphans and theirs included.

    Cheap when there is nothing to do: one ``waitpid`` that finds no child. Each killed
    process's own children are adopted in turn, so the loop runs until none is left.
    """
    deadline = time.monotonic() + SWEEP_LIMIT
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid:
            continue
        children = _children()
        for child in children:
            kill_tree(child)
        if not children:  # a child we cannot see (no /proc): never block on it
            time.sleep(0.001)
            continue
        with contextlib.suppress(ChildProcessError):
            os.waitpid(-1, 0)  # one of the killed ends soon; its children are ours next


def kill_tree(pid: int) -> None:
    """Kill a runner child and everything it started (its session's process group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
