"""Workflows the view tests draw: a gate, a fan-out with failures, a nested DAG."""

from __future__ import annotations

from dflow_like import DAG, Step, Steps, Task, Workflow
from dflow_like.python import PythonOPTemplate

from .ops_for_view import Collect, Energy, Gate


def energy_workflow(
    n: int = 20, fail: tuple[int, ...] = (3, 7), release: str = "release", name: str = "eos"
) -> Workflow:
    """gate → energy xN (some fail, the fan-out continues) → nested DAG (collect, report)."""
    gate = Step("gate", PythonOPTemplate(Gate), parameters={"release": release})
    energy = Step(
        "energy",
        PythonOPTemplate(Energy),
        parameters={"x": "{{item}}", "fail": list(fail)},
        with_param=list(range(n)),
        continue_on_success_ratio=0.5,
    )
    collect = Task("collect", PythonOPTemplate(Collect), parameters={"energies": [1.0, 2.0]})
    report = Task("report", PythonOPTemplate(Collect), parameters={"energies": [3.0]}, dependencies=[collect])
    post = DAG("post", tasks=[collect, report])
    wf = Workflow(name=name, steps=Steps("main"))
    wf.add(gate)
    wf.add(energy)
    wf.add(Step("post", post))
    return wf
