"""The items of one Argo pod of ``Slices(group_size=G)``: one after another, or ``pool_size`` at once.

As dflow's pod runs them (``render_script`` in dflow/python/python_op_template.py):
``pool_size=1`` (or none) a loop of ``try_to_execute``, more a ``multiprocessing.Pool`` of
that size. Here each item of a pool runs in a forked child (its own working directory,
signal handlers and imports stay its own), through ``run_step`` as every engine runs a step.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from . import codes
from .execute import run_step
from .spec import StepSpec

__all__ = ["run_items"]


def run_items(specs: list[tuple[int, StepSpec]], template: Any, pool: int, tolerant: bool) -> dict[int, int]:
    """Exit code per item index. Without ``tolerant`` no item starts after one failed."""
    if pool <= 1:
        return _one_by_one(specs, template, tolerant)
    done: dict[int, int] = {}
    running: dict[int, int] = {}  # pid -> item index
    pending = list(specs)
    failed = False
    while running or (pending and not failed):
        while pending and len(running) < pool and not failed:
            index, spec = pending.pop(0)
            print(f"item {index}: started", flush=True)
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child ends in os._exit
                code = codes.ERROR
                try:
                    code = run_step(spec, template)
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code)
            running[pid] = index
        pid, status = os.wait()
        if pid not in running:
            continue
        code = os.waitstatus_to_exitcode(status)
        done[running.pop(pid)] = code if code >= 0 else codes.ERROR  # killed by a signal: an error
        failed = failed or (code != codes.SUCCEEDED and not tolerant)
    return done


def _one_by_one(specs: list[tuple[int, StepSpec]], template: Any, tolerant: bool) -> dict[int, int]:
    done: dict[int, int] = {}
    for index, spec in specs:
        print(f"item {index}: started", flush=True)
        done[index] = run_step(spec, template)
        if done[index] != codes.SUCCEEDED and not tolerant:
            break
    return done
