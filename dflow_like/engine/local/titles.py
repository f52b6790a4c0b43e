"""What ``ps`` and ``top`` show for a local run's processes: the engine, a worker, a step.

Workers and steps are forked, so without this every one of them shows its parent's
command line (``python examples/eos.py``, or the spawned engine's ``python -m
dflow_like.engine.local ...``) many times over: a user cannot tell which process runs
which step, and ``pkill -f eos.py`` would hit them all. ``setproctitle`` rewrites the
command line (moving the environment aside the first time, so a title longer than the
caller's own command line is not cut short), and ``comm`` (what ``top`` shows, 15 bytes)
is set too.
"""

from __future__ import annotations

import contextlib

__all__ = ["retitle"]

_PR_SET_NAME = 15


def retitle(title: str) -> None:
    """Show ``title`` as this process's command line (``ps``, ``/proc/<pid>/cmdline``) and name."""
    from .processes import _libc  # loaded once, before any fork (processes imports this module)

    with contextlib.suppress(ImportError):
        import setproctitle

        setproctitle.setproctitle(title)
    libc = _libc()
    if libc is not None:
        with contextlib.suppress(Exception):
            libc.prctl(_PR_SET_NAME, title.encode()[:15], 0, 0, 0)
