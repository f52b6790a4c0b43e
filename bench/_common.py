"""Shared bits of the bench scripts: a fresh home, a trivial OP, timing a run."""

from __future__ import annotations

import os
import resource
import tempfile
import time
from collections.abc import Callable

from dflow_like import Workflow
from dflow_like.python import OP


@OP.function
def square(x: int) -> {"y": int}:  # type: ignore[valid-type]  # noqa: F821
    return {"y": x * x}


@OP.function
def increment(x: int) -> {"x": int}:  # type: ignore[valid-type]  # noqa: F821
    return {"x": x + 1}


def ensure_bytecode() -> None:
    """Compile dflow_like's modules once, as ``pip install`` does for an installed package.

    An editable checkout under ``PYTHONDONTWRITEBYTECODE=1`` (set on some machines)
    would otherwise recompile every module in every engine process, adding ~70 ms to
    each run's start-up that no installed copy pays.
    """
    import compileall

    import dflow_like
    import dflow_like.ops  # in a checkout, ops/ beside the package (installed, it is inside)

    for package in (dflow_like, dflow_like.ops):
        compileall.compile_dir(os.path.dirname(package.__file__), quiet=1)


def fresh_home() -> str:
    """Benchmarks never touch the user's runs: each gets an empty home (and compiled modules)."""
    ensure_bytecode()
    home = tempfile.mkdtemp(prefix="dflow-like-bench-")
    os.environ["DFLOW_LIKE_HOME"] = home
    return home


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(build: Callable[[], Workflow]) -> tuple[float, float, Workflow]:
    """(seconds from submit to Succeeded, seconds the engine spent after its first step started, workflow).

    Also sets ``wf.cpu_seconds``: CPU time of the engine process and everything it ran
    (workers, steps), which does not depend on what else the machine is doing.
    """
    wf = build()
    cpu0 = cpu_of_children()
    t0 = time.perf_counter()
    wf.submit()
    phase = wf.wait(timeout=600)
    wall = time.perf_counter() - t0
    wf.query_status()  # reaps the engine process, so its CPU time is counted
    wf.cpu_seconds = cpu_of_children() - cpu0  # type: ignore[attr-defined]
    if phase != "Succeeded":
        raise SystemExit(f"bench workflow {wf.id} ended {phase}: {wf.query_message()}")
    steps = [s for s in wf.query_step() if s.parent_id is not None]
    first = min(s.start_time for s in steps if s.start_time)
    last = max(s.end_time for s in steps if s.end_time)
    return wall, last - first, wf
