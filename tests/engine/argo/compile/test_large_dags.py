"""Compiling a large DAG costs linear work (issue 18): counted operations, not seconds."""

from __future__ import annotations

from typing import Any

import pytest

from dflow_like import DAG, Task, Workflow, argo_sequence
from dflow_like.engine.argo.compile import containers
from dflow_like.python import PythonOPTemplate

from .ops import Double


class _CountingNode(dict[str, Any]):
    """A compiled task that counts how often its dependencies are read."""

    reads = 0

    def get(self, key: str, default: Any = None) -> Any:
        if key == "dependencies":
            _CountingNode.reads += 1
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        if key == "dependencies":
            _CountingNode.reads += 1
        return super().__getitem__(key)


def _fans_with_thresholds(n: int) -> Workflow:
    """``n`` fan-outs with a success threshold, each followed by a task using its output."""
    dag = DAG("d")
    for i in range(n):
        fan = Task(f"fan{i}", PythonOPTemplate(Double), parameters={"x": i}, with_sequence=argo_sequence(3))
        fan.continue_on_num_success = 2
        dag.add(fan)
        dag.add(Task(f"use{i}", PythonOPTemplate(Double), parameters={"x": fan.outputs.parameters["y"]}))
    return Workflow("w", dag=dag)


def test_each_success_threshold_check_is_waited_for_by_its_loops_consumers(monkeypatch: pytest.MonkeyPatch) -> None:
    n = 200
    real = containers.compile_call
    monkeypatch.setattr(containers, "compile_call", lambda *a: _CountingNode(real(*a)))
    _CountingNode.reads = 0
    tasks = {t["name"]: t for t in _fans_with_thresholds(n).to_dict()["spec"]["templates"][0]["dag"]["tasks"]}
    assert len(tasks) == 3 * n
    for i in (0, n // 2, n - 1):
        assert tasks[f"fan{i}-check-success"]["dependencies"] == [f"fan{i}"]
        assert tasks[f"use{i}"]["dependencies"] == [f"fan{i}", f"fan{i}-check-success"]
    # Each task's dependencies are read a bounded number of times: scanning every task
    # for each check (as the compiler did) read them n * 2n = 80,000 times here.
    assert _CountingNode.reads <= 4 * n, _CountingNode.reads
