"""Idle workers import what later templates name while earlier steps run (``workers.prefetch``).

``pf_late`` appends ``pid sid`` to ``pf_late.log`` each time it is imported; a step that
waits for a release file keeps the run busy meanwhile.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from dflow_like import Step, Workflow, config
from dflow_like.python import OP, PythonOPTemplate

from .warm_ops import uses_counted

TIMEOUT = 120

_LATE = """
import os
with open(__file__[:-3] + ".log", "a") as _fh:
    _fh.write(f"{os.getpid()} {os.getsid(0)}\\n")
"""


@OP.function
def hold(release: str) -> {"done": int}:  # type: ignore[valid-type]  # noqa: F821
    deadline = time.monotonic() + 60
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.01)
    return {"done": 1}


@OP.function
def late(done: int) -> {"loaded": int, "worker": int}:  # type: ignore[valid-type]  # noqa: F821
    import sys

    loaded = int("pf_late" in sys.modules)
    import pf_late  # type: ignore[import-not-found]  # noqa: F401

    return {"loaded": loaded, "worker": os.getppid()}


@pytest.fixture
def mods(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "mods"
    directory.mkdir()
    (directory / "pf_late.py").write_text(_LATE)
    monkeypatch.syspath_prepend(str(directory))
    return directory


def _imports(log: Path) -> list[tuple[int, int]]:
    rows = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    return [(int(pid), int(sid)) for pid, sid in rows]


def test_a_later_templates_imports_are_made_while_an_earlier_step_runs(mods: Path, tmp_path: Path) -> None:
    config["workers"] = 3  # one runs ``hold``, one prefetches, one stays idle for steps
    release = tmp_path / "release"
    wf = Workflow("prefetch")
    first = Step("hold", PythonOPTemplate(hold), parameters={"release": str(release)})
    wf.add(first)
    wf.add(Step("late", PythonOPTemplate(late), parameters={"done": first.outputs.parameters["done"]}))
    wf.submit()
    log = mods / "pf_late.log"
    deadline = time.monotonic() + TIMEOUT
    while not _imports(log):  # before: nothing imported it until ``late`` was dispatched
        assert time.monotonic() < deadline, "no worker imported pf_late while hold ran"
        assert not release.exists()
        time.sleep(0.02)
    while [s.phase for s in wf.query_step(name="hold")] != ["Running"]:  # its state is committed in groups
        assert time.monotonic() < deadline, wf.query_step(name="hold")
        time.sleep(0.02)
    [(worker, session)] = _imports(log)
    assert session != worker  # a worker (in the engine's session), not a step's own process
    release.touch()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded", wf.query_message()
    outputs = wf.query_step(name="late")[0].outputs.parameters
    assert outputs["loaded"].value == 1 and outputs["worker"].value == worker  # it went to that worker
    assert _imports(log) == [(worker, session)]  # and was imported nowhere else


def test_warm_imports_false_is_never_prefetched(mods: Path, tmp_path: Path) -> None:
    from dflow_like.engine.local.workers import prefetch_plan

    cold = PythonOPTemplate(late, warm_imports=False)
    warm = PythonOPTemplate(late)
    assert prefetch_plan({"cold": cold, "warm": warm}) == ["warm"]
    import pf_late  # type: ignore[import-not-found]  # noqa: F401

    try:  # already imported by this engine (as the caller's modules are): nothing to prefetch
        assert prefetch_plan({"warm": warm, "counted": PythonOPTemplate(uses_counted)}) == ["counted"]
    finally:
        sys.modules.pop("pf_late")


_CHEAP = "\n"  # imports in well under workers.CHEAP_SECONDS


@OP.function
def cheap(done: int) -> {"loaded": int}:  # type: ignore[valid-type]  # noqa: F821
    import pf_cheap  # type: ignore[import-not-found]  # noqa: F401

    return {"loaded": 1}


def test_a_quick_prefetch_keeps_no_worker_and_the_next_templates_follows(
    mods: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The EOS example: the fit's modules were all but loaded, the plot's (matplotlib) were not.
    A worker kept waiting for the fit's step held up the plot's prefetch until the fit ran
    (or ``RESERVE_SECONDS`` passed: made long here, the forked engine inherits it)."""
    from dflow_like.engine.local import workers

    monkeypatch.setattr(workers, "RESERVE_SECONDS", 10 * TIMEOUT)
    (mods / "pf_cheap.py").write_text(_CHEAP)
    config["workers"] = 3
    release = tmp_path / "release"
    wf = Workflow("prefetch-chain")
    first = Step("hold", PythonOPTemplate(hold), parameters={"release": str(release)})
    wf.add(first)
    done = first.outputs.parameters["done"]
    wf.add([Step("cheap", PythonOPTemplate(cheap), parameters={"done": done})])
    wf.add(Step("late", PythonOPTemplate(late), parameters={"done": done}))
    wf.submit()
    deadline = time.monotonic() + TIMEOUT
    while not _imports(mods / "pf_late.log"):  # before: only once ``cheap`` had run
        assert time.monotonic() < deadline, "pf_late was not imported while hold ran"
        assert not release.exists()
        time.sleep(0.02)
    release.touch()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded", wf.query_message()
    assert wf.query_step(name="late")[0].outputs.parameters["loaded"].value == 1


def test_a_template_already_running_is_not_prefetched(mods: Path) -> None:
    """The worker that runs its step imports what it names before forking the step;
    importing it again in an idle worker (kept for a first step that has begun) only
    cost the other steps a worker and a CPU."""
    config["workers"] = 3
    wf = Workflow("prefetch-self")
    wf.add(Step("late", PythonOPTemplate(late), parameters={"done": 1}))
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded", wf.query_message()
    [(importer, _)] = _imports(mods / "pf_late.log")  # before: a second worker imported it too
    assert wf.query_step(name="late")[0].outputs.parameters["worker"].value == importer
