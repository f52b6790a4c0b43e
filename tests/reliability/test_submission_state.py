"""Item 3: a run's state is created atomically; a run being started is ``Pending`` to
readers in other processes, who never crash on a half-made state file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from dflow_like import Step, Workflow
from dflow_like.engine.local.backend import LocalBackend
from dflow_like.engine.local.workspace import Workspace
from dflow_like.python import PythonOPTemplate

from .helpers import TIMEOUT, poll
from .ops_rel import Allocate

_WAITER = """
import sys
from dflow_like import Workflow
print(Workflow(id=sys.argv[1]).query_status(), flush=True)
print(Workflow(id=sys.argv[1]).wait(timeout=float(sys.argv[2])), flush=True)
"""

# Lists runs and asks each one's status as fast as it can until told to stop; prints
# a JSON summary: phases seen per run and the exceptions raised.
_READER = """
import json, os, sys, traceback
from dflow_like import Workflow, list_workflows
stop, seen, crashes = sys.argv[1], {}, []
while not os.path.exists(stop):
    try:
        for wf_id in list_workflows():
            seen.setdefault(wf_id, []).append(Workflow(id=wf_id).query_status())
    except Exception as exc:
        crashes.append(f"{type(exc).__name__}: {exc}")
print(json.dumps({"seen": seen, "crashes": crashes}))
"""


def _tiny(name: str) -> Workflow:
    wf = Workflow(name)
    wf.add(Step("a", PythonOPTemplate(Allocate), parameters={"mib": 1}))
    return wf


def test_a_run_whose_engine_is_not_started_yet_is_pending_to_other_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waiters: list[subprocess.Popen[str]] = []
    start = LocalBackend._start

    def start_later(self: LocalBackend, ws: Workspace, resume: bool) -> None:
        # the state exists, the engine does not yet: another process looks now
        waiter = subprocess.Popen(
            [sys.executable, "-c", _WAITER, ws.id, str(TIMEOUT)], stdout=subprocess.PIPE, text=True
        )
        waiters.append(waiter)
        assert waiter.stdout is not None
        first = waiter.stdout.readline().strip()
        assert first == "Pending", f"a run being started reads as {first!r}"
        start(self, ws, resume)

    monkeypatch.setattr(LocalBackend, "_start", start_later)
    wf = _tiny("starting")
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    out, _ = waiters[0].communicate(timeout=TIMEOUT)
    assert out.strip() == "Succeeded"


def test_concurrent_submissions_with_concurrent_readers(tmp_path: Path) -> None:
    stop = tmp_path / "stop"
    env = dict(os.environ)
    readers = [
        subprocess.Popen([sys.executable, "-c", _READER, str(stop)], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    runs = 6
    with ThreadPoolExecutor(runs) as pool:
        ids = list(pool.map(lambda i: _tiny(f"concurrent{i}").submit(), range(runs)))
    phases = [Workflow(id=i).wait(timeout=TIMEOUT) for i in ids]
    poll(lambda: all(Workflow(id=i).query_status() == "Succeeded" for i in ids), "every run to finish")
    stop.touch()
    reports: list[dict[str, Any]] = [json.loads(r.communicate(timeout=TIMEOUT)[0]) for r in readers]
    assert phases == ["Succeeded"] * runs
    crashes = [c for r in reports for c in r["crashes"]]
    false_errors = {i: p for r in reports for i, p in r["seen"].items() if "Error" in p}
    assert not crashes, crashes[:5]
    assert not false_errors
