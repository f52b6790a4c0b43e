"""Item 6: ``limits={"memory": ...}`` is enforced by the local engine, and a step that
runs out of memory says so."""

from __future__ import annotations

import os
from pathlib import Path

from dflow_like import Step, Workflow
from dflow_like.graph.script_templates import ShellOPTemplate
from dflow_like.python import PythonOPTemplate

from .helpers import TIMEOUT
from .ops_rel import Allocate


def _allocate(mib: int, limit: str) -> Workflow:
    wf = Workflow("memory")
    wf.add(Step("alloc", PythonOPTemplate(Allocate, limits={"memory": limit}), parameters={"mib": mib}))
    return wf


def test_a_step_over_its_memory_limit_fails_saying_so() -> None:
    wf = _allocate(512, "256Mi")
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Failed"
    message = wf.query_step(name="alloc")[0].message
    # a memory cgroup where the machine allows one (the kernel's OOM killer), else RLIMIT_AS (MemoryError)
    assert "out of memory" in message and "256Mi" in message
    assert ("OOM killer" in message) == _cgroups_here()


def test_a_step_within_its_memory_limit_succeeds() -> None:
    wf = _allocate(32, "256Mi")
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    assert wf.query_step(name="alloc")[0].outputs.parameters["held"].value == 32


def test_a_script_step_is_held_to_its_memory_limit() -> None:
    import sys

    template = ShellOPTemplate(
        name="hog",
        image="python",
        script=f"{sys.executable} -c 'b = bytearray(512 << 20); print(len(b))'",
        limits={"memory": "128Mi"},
    )
    wf = Workflow("script-memory")
    wf.add(Step("hog", template))
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Failed"
    rec = wf.query_step(name="hog")[0]
    if _cgroups_here():
        assert "OOM killer" in rec.message and "128Mi" in rec.message
    else:
        assert "MemoryError" in Path(rec.log_path or "").read_text()


def _cgroups_here() -> bool:
    from dflow_like.engine.local import cgroups

    return cgroups._memory_base() is not None and os.geteuid() == 0


def test_a_memory_limit_that_is_not_a_quantity_is_a_clear_error() -> None:
    wf = _allocate(1, "lots")
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) in ("Failed", "Error")
    message = wf.query_step(name="alloc")[0].message
    assert "step 'alloc'" in message and "'lots'" in message and "'256Mi'" in message
