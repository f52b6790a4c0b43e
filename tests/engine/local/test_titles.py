"""``ps`` and ``top`` tell a local run's processes apart: each step shows its name, each
worker says it is one (``engine/local/titles.py``), whether the engine was forked from
the caller or spawned as a new interpreter."""

from __future__ import annotations

import os

import pytest

from dflow_like import Step, Workflow, config
from dflow_like.python import OP, PythonOPTemplate

TIMEOUT = 120


def _read(path: str) -> str:
    with open(path, "rb") as fh:
        return fh.read().replace(b"\0", b" ").decode().strip()


@OP.function
def probe(x: int) -> {"mine": str, "comm": str, "parent": str}:  # type: ignore[valid-type]  # noqa: F821
    return {
        "mine": _read("/proc/self/cmdline"),
        "comm": _read("/proc/self/comm"),
        "parent": _read(f"/proc/{os.getppid()}/cmdline"),
    }


@pytest.mark.parametrize("start", ["auto", "spawn"])
def test_a_step_and_its_worker_say_what_they_are(start: str) -> None:
    config["engine_start"] = start
    wf = Workflow("titles")
    wf.add(Step("title-probe", PythonOPTemplate(probe), parameters={"x": 1}))
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded", wf.query_message()
    out = {k: v.value for k, v in wf.query_step(name="title-probe")[0].outputs.parameters.items()}
    assert out["mine"] == f"dflow-like step title-probe {wf.id}"  # before: the caller's command line
    assert out["comm"] == "dflow-like step"  # ``comm`` holds 15 bytes
    assert out["parent"] == "dflow-like worker"
