"""What ``ps`` and ``top`` show for a local run's processes: the engine, a worker, a step.

Workers and steps are forked, so without this every one of them shows its parent's
command line (``python examples/eos.py``, or the spawned engine's ``python -m
dflow_like.engine.local ...``) many times over: a user cannot tell which process runs
which step, and ``pkill -f eos.py`` would hit them all. The process's argument area is
overwritten in place (what the ``setproctitle`` package does, without moving the
environment: a title longer than the area is cut to it), and its ``comm`` name set.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools

__all__ = ["retitle"]

_PR_SET_NAME = 15


@functools.cache
def _argument_area() -> tuple[int, int]:
    """Where this process's command line lives (``arg_start``, ``arg_end``: stat fields 48, 49).

    Cached: a forked child has the same addresses, so it needs no read of ``/proc``.
    """
    try:
        with open("/proc/self/stat") as fh:
            fields = fh.read().rsplit(") ", 1)[1].split()
        return int(fields[45]), int(fields[46])
    except (OSError, IndexError, ValueError):
        return 0, 0


def retitle(title: str) -> None:
    """Show ``title`` as this process's command line (``ps``, ``/proc/<pid>/cmdline``) and name."""
    from .processes import _libc  # loaded once, before any fork (processes imports this module)

    libc = _libc()
    if libc is None:
        return
    with contextlib.suppress(Exception):
        libc.prctl(_PR_SET_NAME, title.encode()[:15], 0, 0, 0)  # ``comm``: what top shows
    start, end = _argument_area()
    size = end - start
    if size > 1:
        data = title.encode()[: size - 1]
        ctypes.memmove(start, data + b"\0" * (size - len(data)), size)
