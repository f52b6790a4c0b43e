"""An engine forked from the submitting process (``engine/local/fork_start``).

Each test runs a caller script as a user does (``python script.py``). The script imports
``fs_counted``, a module that appends ``pid`` to ``fs_counted.log`` each time it is
imported, and runs an OP that uses it: an engine forked from the caller serves the
step without importing it again; a spawned one imports it once more.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dflow_like import Workflow, config
from dflow_like.engine.local.workspace import Workspace

TIMEOUT = 120
ROOT = Path(__file__).resolve().parents[3]
SECRET = "s3cr3t-only-for-this-test"

_COUNTED = """
import os
VALUE = 42
with open(__file__[:-3] + ".log", "a") as _fh:
    _fh.write(f"{os.getpid()}\\n")
"""

_SCRIPT = """
import json, os, sys, threading, time
import fs_counted
from dflow_like import Step, Workflow, config
from dflow_like.python import OP, PythonOPTemplate

@OP.function
def probe(release: str) -> {"pid": int, "sid": int, "loaded": int, "value": int, "secret": int}:
    deadline = time.monotonic() + 60
    while release and not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.01)
    loaded = int("fs_counted" in sys.modules)  # before this step's code touched it
    import fs_counted
    with open(os.path.join(os.path.dirname(fs_counted.__file__), "secret.txt"), "rb") as fh:
        value = fh.read()  # read here: a credential in the OP's code would be refused at submit
    with open("/proc/self/environ", "rb") as fh:
        secret = int(value in fh.read())
    return {"pid": os.getpid(), "sid": os.getsid(0), "loaded": loaded, "value": fs_counted.VALUE, "secret": secret}

mode, release = sys.argv[1], sys.argv[2]
stop = threading.Event()
if mode == "threaded":
    threading.Thread(target=stop.wait, daemon=True).start()
if mode == "atfork":  # a library that restarts its thread in every forked child
    os.register_at_fork(after_in_child=lambda: threading.Thread(target=stop.wait, daemon=True).start())
held = open("held.txt", "w")  # an open file of the caller's: the engine must not keep it
config["workers"] = 1
wf = Workflow("fork")
wf.add(Step("probe", PythonOPTemplate(probe), parameters={"release": release}))
wf.submit()
if mode == "detach":
    print(json.dumps({"id": wf.id, "caller": os.getpid()}))
    sys.exit(0)
phase = wf.wait(timeout=%(timeout)s)
outputs = {k: p.value for k, p in wf.query_step(name="probe")[0].outputs.parameters.items()}
print(json.dumps({"id": wf.id, "caller": os.getpid(), "phase": phase, "outputs": outputs}))
"""


@pytest.fixture
def caller(tmp_path: Path) -> Path:
    """A directory holding the caller script and ``fs_counted``; runs go to ``config["home"]``."""
    (tmp_path / "fs_counted.py").write_text(_COUNTED)
    (tmp_path / "script.py").write_text(textwrap.dedent(_SCRIPT % {"timeout": TIMEOUT}))
    (tmp_path / "secret.txt").write_text(SECRET)
    return tmp_path


def _run_caller(directory: Path, mode: str, release: str = "", **env: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "script.py", mode, release],
        cwd=directory,
        capture_output=True,  # returns only once every holder of the pipes is gone: the engine too
        text=True,
        timeout=TIMEOUT / 2,
        env={**os.environ, "PYTHONPATH": f"{directory}:{ROOT}", "DFLOW_LIKE_HOME": str(config["home"]), **env},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def _importers(directory: Path) -> list[int]:
    return [int(line) for line in (directory / "fs_counted.log").read_text().split()]


def _engine_log(wf_id: str) -> str:
    return Workspace(Path(config["home"]), wf_id).engine_log.read_text()


def _engine_pid(wf_id: str) -> int:
    from dflow_like.engine.local.state_store import StateStore

    store = StateStore(Workspace(Path(config["home"]), wf_id).db_path, readonly=True)
    try:
        row = store.workflow_row()
    finally:
        store.close()
    assert row is not None
    return int(row["engine_pid"])


def _until(condition: object, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_the_engine_serves_a_step_with_the_callers_imports_without_importing_again(caller: Path) -> None:
    result = _run_caller(caller, "wait")
    assert result["phase"] == "Succeeded"
    outputs = result["outputs"]
    assert isinstance(outputs, dict)
    assert outputs["value"] == 42 and outputs["loaded"] == 1  # the step's process had it already
    # Imported once, by the caller; before: once more in the spawned engine's process tree.
    assert _importers(caller) == [result["caller"]]
    # Still a process of its own, in a session of its own, as every step.
    assert outputs["pid"] not in (result["caller"], _engine_pid(str(result["id"])))
    assert outputs["sid"] == outputs["pid"]
    assert "not forked" not in _engine_log(str(result["id"]))


def test_the_run_outlives_its_caller_which_leaves_it_no_descriptor(caller: Path) -> None:
    release = caller / "release"
    result = _run_caller(caller, "detach", str(release))  # returned: no pipe of the caller held open
    wf = Workflow(id=str(result["id"]))
    engine = _engine_pid(wf.id)
    assert engine != result["caller"]
    _until(lambda: not Path(f"/proc/{result['caller']}").exists(), "the caller should have exited")
    assert wf.query_status() in ("Pending", "Running"), wf.query_message()
    held = {os.path.realpath(f"/proc/{engine}/fd/{fd}") for fd in os.listdir(f"/proc/{engine}/fd")}
    assert str(caller / "held.txt") not in held, held
    assert os.getsid(engine) == engine  # a session of its own, as the spawned engine has
    with open(f"/proc/{engine}/cmdline", "rb") as fh:  # not the caller's, for ``ps`` and ``pkill -f script.py``
        assert fh.read().split(b"\0")[0].decode() == f"dflow-like engine {wf.id}"
    release.touch()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded", wf.query_message()
    status = subprocess.run(
        [sys.executable, "-m", "dflow_like.cli", "status", wf.id],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, "DFLOW_LIKE_HOME": str(config["home"])},
        check=True,
    )
    assert "Succeeded" in status.stdout.splitlines()[0], status.stdout


def test_a_killed_forked_engine_resumes(caller: Path) -> None:
    release = caller / "release"
    result = _run_caller(caller, "detach", str(release))
    wf = Workflow(id=str(result["id"]))
    _until(lambda: bool(wf.query_step(name="probe", phase="Running")), "the step should be running")
    os.kill(_engine_pid(wf.id), signal.SIGKILL)
    _until(lambda: wf.query_status() == "Error", "a dead engine's run reads Error")
    release.touch()
    wf.resume()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded", wf.query_message()
    assert wf.query_step(name="probe")[0].outputs.parameters["value"].value == 42


def test_a_forked_engine_that_finds_threads_starts_as_a_new_interpreter(caller: Path) -> None:
    result = _run_caller(caller, "atfork")
    assert result["phase"] == "Succeeded"
    log = _engine_log(str(result["id"]))
    assert "engine: forked, but the process runs 1 other Python thread(s); starting as a new interpreter" in log, log
    assert len(_importers(caller)) >= 2  # the new interpreter imported it again


@pytest.mark.parametrize(
    ("mode", "env", "reason"),
    [
        ("threaded", {}, "the process runs 1 other Python thread(s)"),
        ("wait", {"DFLOW_LIKE_ENGINE_START": "spawn"}, 'config["engine_start"] is "spawn"'),
        (
            "wait",
            {"DFLOW_LIKE_S3_SECRET_KEY": SECRET},
            "this process was started with DFLOW_LIKE_S3_SECRET_KEY in its environment",
        ),
    ],
)
def test_a_threaded_caller_or_the_setting_spawns_a_new_interpreter(
    caller: Path, mode: str, env: dict[str, str], reason: str
) -> None:
    result = _run_caller(caller, mode, **env)
    assert result["phase"] == "Succeeded"
    outputs = result["outputs"]
    assert isinstance(outputs, dict) and outputs["secret"] == 0  # never in a step's /proc/self/environ
    assert f"not forked from the caller: {reason}" in _engine_log(str(result["id"]))
    importers = _importers(caller)
    assert importers[0] == result["caller"] and len(importers) >= 2, importers  # the new interpreter imports


def test_a_bad_engine_start_setting_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from dflow_like.engine.local.fork_start import why_not_fork

    monkeypatch.setitem(config, "engine_start", "thread")
    with pytest.raises(ValueError, match=r'config\["engine_start"\]: expected "auto" or "spawn", got \'thread\''):
        why_not_fork()


_WIDE = """
from dflow_like import Step, Workflow
from dflow_like.python import OP, PythonOPTemplate, Slices

@OP.function
def same(x: int) -> {"y": int}:
    return {"y": x}

wf = Workflow("wide")
sliced = Slices(input_parameter=["x"], output_parameter=["y"])  # one item per element: the plan counts them
wf.add(Step("same", PythonOPTemplate(same, slices=sliced), parameters={"x": list(range(%(n)d))}))
wf.submit()
wf.wait(timeout=120)
print(wf.id)
"""


@pytest.mark.parametrize(("items", "forked"), [(20, True), (1001, False)])
def test_a_run_of_many_planned_steps_gets_a_spawned_engine(tmp_path: Path, items: int, forked: bool) -> None:
    """Each step forks from a worker carrying the caller's image: past FORK_MAX_STEPS that
    per-step cost outweighs the imports a forked engine saves (bench/scale.py), so such a
    run is spawned, and engine.log says why."""
    from dflow_like.engine.local.fork_start import FORK_MAX_STEPS

    assert 20 <= FORK_MAX_STEPS < 1001
    (tmp_path / "wide.py").write_text(_WIDE % {"n": items})
    done = subprocess.run(
        [sys.executable, "wide.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "DFLOW_LIKE_HOME": str(config["home"])},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    wf_id = done.stdout.split()[-1]
    log = _engine_log(wf_id)
    reason = f"the run plans {items} steps, above {FORK_MAX_STEPS}"
    assert (reason in log) is not forked, log
    assert ("not forked from the caller" in log) is not forked, log
