"""Large and deep graphs cost linear time and hit no recursion limit (issue 18).

A 10,000-task chain is ten times Python's default recursion limit: any recursive walk
of the dependencies (validation's cycle search, the lint's ancestor scopes) fails on it.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from dflow_like import DAG, DefinitionError, Step, Steps, Task, Workflow
from dflow_like.graph.errors import UnknownArgumentError
from dflow_like.python import OP, OPIO, OPIOSign, PythonOPTemplate
from tests.ops_for_tests import Fail

N = 10_000


def chain_dag(n: int = N) -> Workflow:
    template = PythonOPTemplate(Fail, image="python:3.11")
    dag = DAG("chain")
    previous = Task("t0", template, parameters={"x": 0})
    dag.add(previous)
    for i in range(1, n):
        task = Task(f"t{i}", template, parameters={"x": previous.outputs.parameters["y"]})
        dag.add(task)
        previous = task
    return Workflow("chain", dag=dag)


def test_a_10000_task_chain_validates_compiles_and_lints() -> None:
    wf = chain_dag()
    manifest = wf.to_dict()
    tasks = manifest["spec"]["templates"][0]["dag"]["tasks"]
    assert len(tasks) == N and tasks[-1]["dependencies"] == [f"t{N - 2}"]
    problems = [p for p in wf.lint() if not p.startswith("schema ")]
    assert problems == []


def test_a_cycle_at_the_end_of_a_long_chain_is_found() -> None:
    wf = chain_dag()
    first = wf.entrypoint.tasks[0]  # type: ignore[attr-defined]
    first.explicit_dependencies = [f"t{N - 1}"]
    with pytest.raises(DefinitionError) as err:
        wf.validate()
    message = str(err.value)
    assert "dependency cycle t0 -> t9999 -> t9998 -> t9997 -> t9996 -> ... -> t4 -> t3 -> t2 -> t1 -> t0" in message
    assert "(10000 tasks)" in message and len(message) < 300


def test_a_10000_step_steps_template_validates_and_lints() -> None:
    template = PythonOPTemplate(Fail, image="python:3.11")
    wf = Workflow("long", steps=Steps("long"))
    previous = Step("s0", template, parameters={"x": 0})
    wf.add(previous)
    for i in range(1, N):
        step = Step(f"s{i}", template, parameters={"x": previous.outputs.parameters["y"]})
        wf.add(step)
        previous = step
    assert len(wf.to_dict()["spec"]["templates"][0]["steps"]) == N
    assert [p for p in wf.lint() if not p.startswith("schema ")] == []


class Increment(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int})

    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"x": op_in["x"] + 1})


@pytest.mark.slow
def test_a_chain_longer_than_the_recursion_limit_runs_on_the_local_engine() -> None:
    n = sys.getrecursionlimit() + 200
    template = PythonOPTemplate(Increment)
    dag = DAG("chain")
    previous = Task("t0", template, parameters={"x": 0})
    dag.add(previous)
    for i in range(1, n):
        task = Task(f"t{i}", template, parameters={"x": previous.outputs.parameters["x"]})
        dag.add(task)
        previous = task
    wf = Workflow("long", dag=dag)
    wf.submit()
    assert wf.wait(timeout=900) == "Succeeded", wf.query_message()
    (last,) = wf.query_step(name=f"t{n - 1}")
    assert last.outputs.parameters["x"].value == n
    status = subprocess.run(
        [sys.executable, "-m", "dflow_like.cli", "status", str(wf.id)], capture_output=True, text=True, timeout=120
    )
    assert status.returncode == 0 and status.stdout.splitlines()[-1] == f"{n + 1} steps: {n + 1} Succeeded"


def test_building_tasks_without_extra_keywords_reads_no_signatures(monkeypatch: pytest.MonkeyPatch) -> None:
    from dflow_like.graph import keywords

    real, calls = keywords.inspect.signature, []
    monkeypatch.setattr(keywords.inspect, "signature", lambda f: calls.append(f) or real(f))
    template = PythonOPTemplate(Fail, image="python:3.11")
    tasks = [Task(f"t{i}", template, parameters={"x": i}) for i in range(100)]
    assert len(tasks) == 100 and calls == []  # each read cost ~60 us: most of building 10,000 tasks
    with pytest.raises(UnknownArgumentError, match=r"'continue_on_fialed'.*did you mean 'continue_on_failed'"):
        Task("typo", template, parameters={"x": 1}, continue_on_fialed=True)


def test_a_steps_output_references_are_made_once_when_first_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from dflow_like.graph.io import Outputs

    real, made = Outputs.bound, []
    monkeypatch.setattr(Outputs, "bound", lambda self, step: made.append(step) or real(self, step))
    template = PythonOPTemplate(Fail, image="python:3.11")
    tasks = [Task(f"t{i}", template, parameters={"x": i}) for i in range(100)]
    assert made == []  # unused references are never made
    y = tasks[3].outputs.parameters["y"]
    assert str(y) == "{{tasks.t3.outputs.parameters.y}}" and tasks[3].outputs.parameters["y"] is y
    assert made == [tasks[3]]
    user = Task("user", template, parameters={"x": y})
    assert user.dependencies == ["t3"]


def test_to_dict_reads_each_tasks_dependencies_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from dflow_like.engine.argo.compile import compile_workflow

    wf = chain_dag(500)
    reads: list[str] = []
    real = Task.dependencies.fget
    monkeypatch.setattr(Task, "dependencies", property(lambda t: reads.append(t.name) or real(t)))  # type: ignore[misc]
    manifest = wf.to_dict()  # validation finds them; the compiler of the same call reuses them
    assert len(reads) == 500 and len(set(reads)) == 500
    assert manifest == compile_workflow(wf)  # the compiler alone finds the same


def test_tasks_added_after_the_tasks_that_depend_on_them_validate_and_a_cycle_among_them_is_found() -> None:
    template = PythonOPTemplate(Fail, image="python:3.11")
    dag = DAG("late")
    a, b, c = (Task(n, template, parameters={"x": 1}) for n in "abc")
    a.explicit_dependencies = ["c"]  # c comes later in the DAG: no order proves there is no cycle
    b.explicit_dependencies = ["a"]
    dag.add([a, b, c])
    tasks = {t["name"]: t for t in Workflow("late", dag=dag).to_dict()["spec"]["templates"][0]["dag"]["tasks"]}
    assert tasks["a"]["dependencies"] == ["c"] and tasks["b"]["dependencies"] == ["a"]
    c.explicit_dependencies = ["b"]
    with pytest.raises(DefinitionError, match="dependency cycle a -> c -> b -> a"):
        Workflow("late", dag=dag).validate()


def test_a_10000_task_chain_submits_runs_and_reports_on_the_local_engine() -> None:
    template = PythonOPTemplate(Increment)
    dag = DAG("chain")
    previous = Task("t0", template, parameters={"x": 0})
    dag.add(previous)
    for i in range(1, N):
        task = Task(f"t{i}", template, parameters={"x": previous.outputs.parameters["x"]})
        dag.add(task)
        previous = task
    wf = Workflow("long", dag=dag)
    wf.submit()  # validates and ships the whole chain to the engine, which plans it
    deadline = time.monotonic() + 120
    while len(wf.query_step(type="Pod", phase="Succeeded")) < 20 and time.monotonic() < deadline:
        assert wf.query_status() in ("Pending", "Running"), wf.query_message()
        time.sleep(0.1)
    (tenth,) = wf.query_step(name="t9")
    assert tenth.outputs.parameters["x"].value == 10
    for command in (["status", str(wf.id)], ["list"]):
        done = subprocess.run(
            [sys.executable, "-m", "dflow_like.cli", *command], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0 and "Running" in done.stdout, done.stderr
    wf.terminate()
    assert wf.wait(timeout=120) in ("Failed", "Error")


def test_to_dict_collects_no_whole_heap_and_leaves_the_collector_as_it_was() -> None:
    import gc

    wf = chain_dag(3000)
    full: list[int] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(1)

    before = (gc.isenabled(), gc.get_threshold())
    gc.collect()
    gc.callbacks.append(watch)
    try:
        wf.to_dict()
    finally:
        gc.callbacks.remove(watch)
    assert full == [] and (gc.isenabled(), gc.get_threshold()) == before
    wf.entrypoint.tasks[0].explicit_dependencies = ["nowhere"]  # type: ignore[attr-defined]
    with pytest.raises(DefinitionError):
        wf.to_dict()
    assert (gc.isenabled(), gc.get_threshold()) == before
