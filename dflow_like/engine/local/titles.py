"""What ``ps`` and ``top`` show for a local run's processes: the engine, a worker, a step.

Workers and steps are forked, so without this every one of them shows its parent's
command line (``python examples/eos.py``, or the spawned engine's ``python -m
dflow_like.engine.local ...``) many times over: a user cannot tell which process runs
which step, and ``pkill -f eos.py`` would hit them all. ``setproctitle`` rewrites the
command line (moving the environment aside the first time, so a title longer than the
caller's own command line is not cut short) and, on Linux, ``comm`` too (what ``top``
shows, 15 bytes).
"""

from __future__ import annotations

import setproctitle

__all__ = ["retitle"]


def retitle(title: str) -> None:
    """Show ``title`` as this process's command line (``ps``, ``/proc/<pid>/cmdline``) and name."""
    setproctitle.setproctitle(title)
