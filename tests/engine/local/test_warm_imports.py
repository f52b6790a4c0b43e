"""Warm workers keep what steps import (``engine/local/warm_imports``), safely.

Each test writes the modules its OPs import into a directory on ``sys.path`` (the
engine gets the caller's path); each module appends a line to its own ``.log`` every
time it is imported: ``pid is_step_process other_module_loaded``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dflow_like import Step, Workflow, config
from dflow_like.engine.local.workspace import Workspace
from dflow_like.python import PythonOPTemplate, Slices

from .warm_ops import closes_fds, uses_counted, uses_fatal, uses_module, uses_threaded

TIMEOUT = 120
N = 12

_RECORD = """
import os as _os, sys as _sys
with open(__file__[:-3] + ".log", "a") as _fh:
    _fh.write(f"{_os.getpid()} {_os.getppid()} {int(_os.getsid(0) == _os.getpid())} {int(%r in _sys.modules)}\\n")
"""


def _module(directory: Path, name: str, body: str = "", other: str = "") -> Path:
    (directory / f"{name}.py").write_text(_RECORD % other + textwrap.dedent(body))
    return directory / f"{name}.log"


def _imports(log: Path) -> list[tuple[int, bool, bool]]:
    """(pid, in a step's process, the other module loaded) per import outside the engine.

    The engine (a child of this test process) imports what sliced steps' ``execute``
    names once, before it forks its workers; ``_engine_imports`` counts those.
    """
    rows = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    return [(int(p), s == "1", o == "1") for p, pp, s, o in rows if int(pp) != os.getpid()]


def _engine_imports(log: Path) -> int:
    rows = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    return sum(1 for _, pp, _, _ in rows if int(pp) == os.getpid())


@pytest.fixture
def mods(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "mods"
    directory.mkdir()
    monkeypatch.syspath_prepend(str(directory))
    config["workers"] = 2
    return directory


def _sliced(op: object, values: list[object], name: str = "item", **kwargs: object) -> Step:
    field = next(iter(op.get_input_sign()))  # type: ignore[attr-defined]
    outputs = list(op.get_output_sign())  # type: ignore[attr-defined]
    template = PythonOPTemplate(op, slices=Slices(input_parameter=[field], output_parameter=outputs), **kwargs)
    return Step(name, template, parameters={field: values})


def _run(*steps: Step) -> Workflow:
    wf = Workflow("warm")
    for step in steps:
        wf.add(step)
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded", wf.query_message()
    return wf


def test_an_import_inside_execute_is_paid_once_per_worker_and_steps_stay_isolated(mods: Path) -> None:
    log = _module(mods, "warm_counted", "calls = 0\n")
    wf = _run(_sliced(uses_counted, list(range(N))))
    group = wf.query_step(name="item", type="StepGroup")[0].outputs.parameters
    assert group["calls"].value == [1] * N  # no step saw another step's module state
    assert len(set(group["pid"].value)) == N  # every step ran in a process of its own
    # ``execute`` names the module and the step is sliced: the engine imports it once,
    # before it forks the workers, and no worker or step imports it again. Before: one
    # import per step.
    assert _engine_imports(log) == 1 and _imports(log) == [], log.read_text()


def test_a_module_a_step_imports_by_name_is_learned_from_the_step(mods: Path) -> None:
    log = _module(mods, "warm_dynamic")
    _run(_sliced(uses_module, ["warm_dynamic"] * N))
    imports = _imports(log)
    # Per worker: its first step imports the module and reports it, then the worker
    # imports it itself; every later step inherits it.
    assert len(imports) <= 2 * 2, imports
    assert any(not in_step for _, in_step, _ in imports), "a worker should hold the import"


def test_an_op_from_main_gets_its_imports_warm_too(mods: Path, tmp_path: Path) -> None:
    log = _module(mods, "warm_counted", "calls = 0\n")
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import os
            from dflow_like import Step, Workflow, config
            from dflow_like.python import OP, PythonOPTemplate, Slices

            @OP.function
            def main_op(x: int) -> {{"calls": int}}:
                import warm_counted
                warm_counted.calls += 1
                return {{"calls": warm_counted.calls}}

            config["workers"] = 2
            wf = Workflow("from-main")
            template = PythonOPTemplate(main_op, slices=Slices(input_parameter=["x"], output_parameter=["calls"]))
            wf.add(Step("item", template, parameters={{"x": list(range({N}))}}))
            wf.submit()
            phase = wf.wait(timeout={TIMEOUT})
            print(phase, wf.query_step(name="item", type="StepGroup")[0].outputs.parameters["calls"].value)
            """
        )
    )
    env_path = f"{mods}:{Path(__file__).resolve().parents[3]}"
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, "PYTHONPATH": env_path},
        check=False,
    )
    assert done.stdout.split(None, 1) == ["Succeeded", f"{[1] * N}\n"], done.stderr
    assert 1 <= len(_imports(log)) <= 2


def test_a_module_that_starts_a_thread_at_import_makes_its_template_cold(mods: Path) -> None:
    body = """
    import queue, threading

    _requests = queue.Queue()

    def _serve():
        while True:
            x, reply = _requests.get()
            reply.put(2 * x)

    threading.Thread(target=_serve, daemon=True).start()

    def compute(x):
        reply = queue.Queue()
        _requests.put((x, reply))
        return reply.get(timeout=30)  # forked after the import: no thread serves, queue.Empty
    """
    log = _module(mods, "warm_threaded", body)
    wf = _run(_sliced(uses_threaded, list(range(N))))
    assert wf.query_step(name="item", type="StepGroup")[0].outputs.parameters["y"].value == [2 * x for x in range(N)]
    in_workers = [pid for pid, in_step, _ in _imports(log) if not in_step]
    # Workers that learned it at the same time may each try once; then the template is cold.
    assert len(in_workers) <= 2, in_workers
    engine_log = Workspace(Path(config["home"]), wf.id).engine_log.read_text()
    assert "'uses-threaded'" in engine_log and "Python thread" in engine_log, engine_log
    # The engine had imported it once for all workers before forking them: it restarted without.
    assert "while importing what sliced steps import; restarting without that" in engine_log, engine_log


def test_warm_imports_false_keeps_every_import_in_its_step(mods: Path) -> None:
    log = _module(mods, "warm_counted", "calls = 0\n")
    _run(_sliced(uses_counted, list(range(N)), warm_imports=False))
    imports = _imports(log)
    assert len(imports) == N and all(in_step for _, in_step, _ in imports)


def test_a_worker_over_its_memory_limit_is_replaced_before_it_imports_another_template(mods: Path) -> None:
    config["worker_max_rss_mb"] = 1  # every worker is above it
    _module(mods, "warm_a")
    log_b = _module(mods, "warm_b", other="warm_a")
    first = _sliced(uses_module, ["warm_a"] * 6, name="a")
    second = _sliced(uses_module, ["warm_b"] * 6, name="b")
    second.template.name = "uses-module-b"
    wf = _run(first, second)
    in_workers = [other for _, in_step, other in _imports(log_b) if not in_step]
    assert in_workers, "a clean worker keeps warm_b"
    assert not any(in_workers), "no worker holding warm_a imported warm_b as well"
    engine_log = Workspace(Path(config["home"]), wf.id).engine_log.read_text()
    assert "replaced by a clean one: worker RSS" in engine_log, engine_log


def test_static_imports_read_execute_and_the_helpers_of_its_package_it_calls() -> None:
    from dflow_like.engine.local.import_hints import static_imports
    from dflow_like.ops import PlotEOS, SinglePoint

    assert "ase.calculators.emt" in static_imports(SinglePoint)  # inside ops._atoms.get_calculator
    assert {"matplotlib.figure", "matplotlib.backends.backend_agg"} <= set(static_imports(PlotEOS))
    assert static_imports(uses_counted) == ["warm_counted"]  # an @OP.function: through its closure


def test_openblas_pools_started_at_import_keep_the_template_warm(mods: Path) -> None:
    log = _module(mods, "warm_blas", "import numpy, scipy.linalg\n")  # each starts an OpenBLAS pool
    wf = _run(_sliced(uses_module, ["warm_blas"] * N))
    assert any(not in_step for _, in_step, _ in _imports(log)), "a worker should hold numpy and scipy"
    engine_log = Workspace(Path(config["home"]), wf.id).engine_log.read_text()
    assert "not safe to fork" not in engine_log, engine_log


def test_a_step_that_reuses_descriptor_numbers_keeps_its_files(mods: Path, tmp_path: Path) -> None:
    _module(mods, "warm_late")
    files = tmp_path / "files"
    files.mkdir()
    template = PythonOPTemplate(closes_fds)
    _run(Step("fds", template, parameters={"name": "warm_late", "directory": str(files)}))
    assert {p.read_text() for p in files.iterdir()} == {"mine"}  # never overwritten by the import report


def test_a_module_whose_import_ends_the_process_fails_its_step_not_worker_after_worker(mods: Path) -> None:
    """Each worker that imported it ahead of the step died, and the step read "no worker
    could start the step". Now the first such death makes the template cold: the step
    imports in its own process, ends there, and fails with that exit code and its log."""
    (mods / "warm_fatal.py").write_text("import os\nos._exit(7)\n")
    config["workers"] = 3
    wf = Workflow("warm-fatal")
    wf.add(Step("fatal", PythonOPTemplate(uses_fatal), parameters={"x": 1}))
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Failed"
    [step] = wf.query_step(name="fatal")
    assert "exited with code 7" in step.message and "log.txt" in step.message, step.message
    engine_log = Workspace(Path(config["home"]), wf.id).engine_log.read_text()
    assert "a worker died importing what its steps import (exit code 7)" in engine_log, engine_log


def test_an_engine_that_dies_importing_for_a_fan_out_says_so_and_its_resume_imports_nothing_ahead(mods: Path) -> None:
    """The engine imports what sliced steps import before it forks its workers; an import
    that ends the process took the engine with it, the run read "engine process N is
    gone; resume finishes the run", and every resume died the same way."""
    (mods / "warm_fatal.py").write_text("import os\nos._exit(7)\n")
    wf = Workflow("warm-fatal-fan")
    wf.add(_sliced(uses_fatal, [1, 2, 3]))
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Error"
    assert "ended importing warm_fatal" in wf.query_message(), wf.query_message()
    wf.resume()
    assert wf.wait(timeout=TIMEOUT) == "Failed"  # its items ran, each ending at that import
    items = [s for s in wf.query_step(type="Pod")]
    assert len(items) == 3 and all("exited with code 7" in s.message for s in items), [s.message for s in items]
    engine_log = Workspace(Path(config["home"]), wf.id).engine_log.read_text()
    assert "previous engine ended importing warm_fatal for its fan-outs; not importing ahead" in engine_log
