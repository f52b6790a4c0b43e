"""A run whose engine cannot load the workflow says why, wherever the user looks.

The engine process unpickles the workflow, importing the user's modules again: an
import that fails there, or an object that does not come back from its pickle, must
leave the run ``Error`` with the cause in ``query_message()``, ``dflow-like status``,
``dflow-like logs`` and ``dflow-like resume`` (not only in ``engine.log``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dflow_like import Workflow, list_workflows

FRAGILE = textwrap.dedent("""
    import os
    from dflow_like.python import OP, OPIO, OPIOSign

    if os.environ.get("LICENCE_SERVER") == "down":
        raise ImportError("licence server unreachable")

    class Same(OP):
        @classmethod
        def get_input_sign(cls):
            return OPIOSign({"x": int})

        @classmethod
        def get_output_sign(cls):
            return OPIOSign({"y": int})

        def execute(self, op_in):
            return OPIO({"y": op_in["x"]})
""")

DRIVER = textwrap.dedent("""
    import os
    from dflow_like import Step, Workflow
    from dflow_like.python import PythonOPTemplate
    from fragile import Same

    os.environ["LICENCE_SERVER"] = "down"  # imported fine here; the engine's import fails
    os.environ["DFLOW_LIKE_ENGINE_START"] = "spawn"  # a new interpreter (a forked engine has the module)
    wf = Workflow("fragile")
    wf.add(Step("same", PythonOPTemplate(Same), parameters={"x": 1}))
    wf.submit()
    wf.wait(timeout=60)
    print(wf.id)
""")


def run_python(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env, check=False
    )


def test_import_error_in_the_engine_is_the_runs_message(tmp_path: Path) -> None:
    (tmp_path / "fragile.py").write_text(FRAGILE)
    (tmp_path / "driver.py").write_text(DRIVER)
    wf_id = run_python("driver.py", cwd=tmp_path).stdout.strip()
    wf = Workflow(id=wf_id)
    cause = "ImportError: licence server unreachable"
    assert wf.query_status() == "Error"
    assert cause in wf.query_message() and "could not load the workflow" in wf.query_message()
    status = run_python("-m", "dflow_like.cli", "status", wf_id, cwd=tmp_path)
    assert status.returncode == 1 and cause in status.stdout
    logs = run_python("-m", "dflow_like.cli", "logs", wf_id, cwd=tmp_path)
    assert cause in logs.stdout
    broken = {**os.environ, "LICENCE_SERVER": "down"}  # resumed where the import still fails
    resumed = run_python("-m", "dflow_like.cli", "resume", wf_id, cwd=tmp_path, env=broken)
    assert resumed.returncode == 1 and f"{wf_id}: Error" in resumed.stdout and cause in resumed.stdout
    fixed = run_python("-m", "dflow_like.cli", "resume", wf_id, cwd=tmp_path)  # the licence server is back
    assert fixed.stdout.strip() == f"{wf_id}: Succeeded"


def test_object_that_does_not_unpickle_in_the_engine(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        from dflow_like import Step, Workflow
        from dflow_like.python import OP, PythonOPTemplate

        class Handle:  # re-opened where it is unpickled (say, a database file on this laptop only)
            def __reduce__(self):
                return (open, ("/nonexistent/results.db",))

        DB = Handle()

        @OP.function
        def store(x: int) -> {"y": int}:
            print(DB)
            return {"y": x}

        wf = Workflow("handle")
        wf.add(Step("store", PythonOPTemplate(store), parameters={"x": 1}))
        wf.submit()
        print(wf.wait(timeout=60))
        print(wf.query_message())
    """)
    out = run_python("-c", script, cwd=tmp_path).stdout.splitlines()
    assert out[0] == "Error"
    assert "FileNotFoundError" in out[1] and "/nonexistent/results.db" in out[1]


def test_object_that_does_not_pickle_is_refused_at_submit(tmp_path: Path) -> None:
    script = textwrap.dedent("""
        import threading
        from dflow_like import Step, Workflow
        from dflow_like.python import OP, PythonOPTemplate

        LOCK = threading.Lock()

        @OP.function
        def guarded(x: int) -> {"y": int}:
            with LOCK:
                return {"y": x}

        wf = Workflow("locked")
        wf.add(Step("guarded", PythonOPTemplate(guarded), parameters={"x": 1}))
        wf.submit()
    """)
    done = run_python("-c", script, cwd=tmp_path)
    assert done.returncode == 1
    assert "workflow 'locked' cannot be sent to its engine process" in done.stderr
    assert "cannot pickle '_thread.lock' object" in done.stderr
    assert list_workflows() == []  # no half-made run left behind


def test_an_engine_that_crashes_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug of the engine's own (not a step's) leaves the run Error with its cause, not "gone"."""
    from dflow_like.engine.local import daemon
    from dflow_like.engine.local.state_store import StateStore

    root = tmp_path / "home" / "workflows" / "crash-00000"
    root.mkdir(parents=True)
    store = StateStore(root / "state.db")
    store.init_workflow("crash-00000", "crash", 0.0)
    store.close()

    def broken(root: Path, resume: bool, stop: object = None) -> str:
        raise AssertionError("scheduler invariant broken")

    monkeypatch.setattr(daemon, "run_engine", broken)
    previous = signal.getsignal(signal.SIGTERM)  # the engine's entry listens for SIGTERM: not this test's process
    try:
        assert daemon.main([str(root)]) == 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    wf = Workflow(id="crash-00000")
    assert wf.query_status() == "Error"
    message = wf.query_message()
    assert "the engine failed" in message and "AssertionError: scheduler invariant broken" in message


MID_RUN = textwrap.dedent("""
    import dflow_like.engine.local.engine_loop as engine_loop
    from dflow_like import Step, Workflow
    from dflow_like.python import PythonOPTemplate
    from fragile import Same

    def broken(records, table):
        raise RuntimeError("global outputs broke")

    engine_loop.global_outputs = broken  # the forked engine inherits it: a bug of the engine's own, mid-run
    wf = Workflow("mid-run")
    wf.add(Step("same", PythonOPTemplate(Same), parameters={"x": 1}))
    wf.submit()
    wf.wait(timeout=60)
    print(wf.id)
""")


def test_an_engine_failure_mid_run_leaves_the_run_error_with_its_cause(tmp_path: Path) -> None:
    """The engine's own connection may hold a transaction when it raises: the failure must
    still be recorded (not "database is locked", leaving the run Running until it reads as gone)."""
    (tmp_path / "fragile.py").write_text(FRAGILE)
    (tmp_path / "driver.py").write_text(MID_RUN)
    env = {k: v for k, v in os.environ.items() if k != "DFLOW_LIKE_ENGINE_START"}
    wf_id = run_python("driver.py", cwd=tmp_path, env=env).stdout.strip()
    wf = Workflow(id=wf_id)
    assert wf.query_status() == "Error"
    assert "RuntimeError: global outputs broke" in wf.query_message()
    assert wf.query_step(name="same")[0].phase == "Succeeded"  # the steps it ran stay recorded
