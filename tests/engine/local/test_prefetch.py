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
from dflow_like.python import OP, PythonOPTemplate, Slices

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
    from dflow_like.engine.local.prefetch import prefetch_plan

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


# The fan-out's module, imported by the engine before it forks its workers: it waits
# (up to a deadline) for the later template's module to be imported elsewhere, and
# records whether it was.
_FAN = """
import os, time
_late = os.path.join(os.path.dirname(__file__), "pf_late.log")
_deadline = time.monotonic() + 30
while not os.path.exists(_late) and time.monotonic() < _deadline:
    time.sleep(0.01)
with open(__file__[:-3] + ".log", "a") as _fh:
    _fh.write(f"{os.getpid()} {int(os.path.exists(_late))}\\n")
"""


@OP.function
def fan(x: int) -> {"y": int}:  # type: ignore[valid-type]  # noqa: F821
    import pf_fan  # type: ignore[import-not-found]  # noqa: F401

    return {"y": x}


def _early_run(mods: Path) -> tuple[Workflow, list[tuple[int, int]]]:
    """A fan-out, then ``late``; returns the run and ``pf_fan``'s (importer, saw pf_late) lines."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("an early worker uses a second CPU; this machine has one")
    (mods / "pf_fan.py").write_text(_FAN)
    config["workers"] = 3
    wf = Workflow("prefetch-early")
    sliced = PythonOPTemplate(fan, slices=Slices(input_parameter=["x"], output_parameter=["y"]))
    wf.add(Step("fan", sliced, parameters={"x": [1, 2, 3]}))
    wf.add(Step("late", PythonOPTemplate(late), parameters={"done": 1}))  # the next stage: after the fan-out
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded", wf.query_message()
    lines = [line.split() for line in (mods / "pf_fan.log").read_text().splitlines()]
    return wf, [(int(pid), int(saw)) for pid, saw in lines]


def test_a_later_templates_other_package_is_imported_while_the_engine_imports_the_fan_outs(
    mods: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The EOS example: the engine imports ASE for the energies (one CPU) while a worker
    forked before that imports matplotlib for the plot (the other), rather than beside
    the energies once they run (``prefetch.early_plan``). That import takes a while, as
    matplotlib's does (``CHEAP_SECONDS`` set below any; the forked engine inherits it)."""
    from dflow_like.engine.local import workers

    monkeypatch.setattr(workers, "CHEAP_SECONDS", -1.0)
    wf, [(engine, saw_late)] = _early_run(mods)  # pf_fan: imported once, by the engine
    assert saw_late == 1, "pf_late was not imported while the engine imported pf_fan"  # before: after the fan-out
    [(importer, session)] = _imports(mods / "pf_late.log")  # one worker imported it, no step did
    assert importer != engine and session != importer
    outputs = wf.query_step(name="late")[0].outputs.parameters
    assert outputs["loaded"].value == 1 and outputs["worker"].value == importer  # its step went to that worker


def test_an_early_worker_whose_prefetch_was_cheap_leaves_the_fan_out_to_workers_that_hold_its_imports(
    mods: Path,
) -> None:
    """A quick prefetch is not worth a worker without the fan-out's imports: had it served
    an item, it would have imported the fan-out's modules again first."""
    wf, lines = _early_run(mods)
    assert [saw for _, saw in lines] == [1]  # the engine alone imported pf_fan, after pf_late's prefetch
    assert wf.query_step(name="late")[0].outputs.parameters["loaded"].value == 1


@OP.function
def both(done: int) -> {"loaded": int}:  # type: ignore[valid-type]  # noqa: F821
    import pf_fan  # type: ignore[import-not-found]  # noqa: F401
    import pf_late  # type: ignore[import-not-found]  # noqa: F401

    return {"loaded": 1}


def test_the_early_plan_takes_templates_that_share_no_package_with_the_fan_outs(mods: Path) -> None:
    """A template that shares one would import, in its step on such a worker, what the
    engine had imported for every other worker (ASE's EOS fit: SciPy, lazily)."""
    from dflow_like.engine.local.prefetch import early_plan

    sliced = PythonOPTemplate(fan, slices=Slices(input_parameter=["x"], output_parameter=["y"]))
    same = PythonOPTemplate(fan)  # the fan-out's own package: the engine's import serves it
    mixed = PythonOPTemplate(both)  # one package of its own, one of the fan-out's
    other = PythonOPTemplate(late)
    templates = {"fan": sliced, "same": same, "mixed": mixed, "late": other, "late2": PythonOPTemplate(cheap)}
    assert early_plan(templates, [sliced], slots=1) == ["late"]  # the first, in the workflow's order
    assert early_plan(templates, [sliced], slots=2) == ["late", "late2"]
    assert early_plan(templates, [], slots=1) == []  # no fan-out: the engine imports nothing first
    assert early_plan(templates, [sliced], slots=0) == []  # one CPU: nothing to run it beside
