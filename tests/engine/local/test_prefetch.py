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
