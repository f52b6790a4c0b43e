"""A memory cgroup per step (Linux), where the machine lets us make one.

``limits={"memory": ...}`` is what Kubernetes enforces with the pod's cgroup: resident
memory of every process of the step, and the kernel's OOM killer when it is exceeded.
The step's process makes ``dflow-like-step-<pid>`` under the engine's own memory cgroup
(v1 ``memory.limit_in_bytes``, or v2 ``memory.max`` where the memory controller is
delegated) and moves itself in, so whatever it starts is counted too. The engine reads
the cgroup's OOM-kill count when the step ends and removes it. Where no cgroup can be
made, the runner falls back to an address-space limit (``runner.limits``).
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

__all__ = ["enter", "finish"]

_ROOT = Path("/sys/fs/cgroup")


def _memory_base() -> tuple[Path, int] | None:
    """This process's memory cgroup directory and its version, if it has one we can see."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    unified: Path | None = None
    for line in lines:
        hierarchy, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            base = _ROOT / "memory" / path.lstrip("/")
            if base.is_dir():
                return base, 1
        if hierarchy == "0" and controllers == "":
            for root in (_ROOT, _ROOT / "unified"):
                base = root / path.lstrip("/")
                if (base / "cgroup.subtree_control").is_file():
                    unified = base
                    break
    if unified is not None:
        with contextlib.suppress(OSError):
            if "memory" in (unified / "cgroup.subtree_control").read_text().split():
                return unified, 2
    return None


def _path(base: Path, pid: int) -> Path:
    return base / f"dflow-like-step-{pid}"


def enter(size: int) -> bool:
    """In the step's process: limit it (and all it starts) to ``size`` bytes; False if we cannot."""
    found = _memory_base()
    if found is None:
        return False
    base, version = found
    path = _path(base, os.getpid())
    try:
        path.mkdir()
        if version == 1:
            (path / "memory.limit_in_bytes").write_text(str(size))
            with contextlib.suppress(OSError):  # no swap beyond the limit either, if accounted
                (path / "memory.memsw.limit_in_bytes").write_text(str(size))
        else:
            (path / "memory.max").write_text(str(size))
            with contextlib.suppress(OSError):
                (path / "memory.swap.max").write_text("0")
        (path / "cgroup.procs").write_text(str(os.getpid()))
    except OSError:
        with contextlib.suppress(OSError):
            path.rmdir()
        return False
    return True


def finish(pid: int) -> bool:
    """In the engine, once step ``pid`` ended: remove its cgroup; True if the kernel OOM-killed in it.

    Anything still inside (a process that escaped its worker) is killed first.
    """
    found = _memory_base()
    if found is None or not pid:
        return False
    base, version = found
    path = _path(base, pid)
    if not path.is_dir():
        return False
    killed = False
    with contextlib.suppress(OSError, ValueError):
        text = (path / ("memory.oom_control" if version == 1 else "memory.events")).read_text()
        counts = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
        killed = int(counts.get("oom_kill", "0")) > 0
        if version == 1 and not killed:  # kernels before 4.13 have no oom_kill count
            killed = int((path / "memory.failcnt").read_text()) > 0 and "under_oom 1" in text
    for _ in range(100):
        try:
            path.rmdir()
            break
        except OSError:
            with contextlib.suppress(OSError, ValueError):
                for left in (path / "cgroup.procs").read_text().split():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(left), signal.SIGKILL)
            os.sched_yield()
    return killed
