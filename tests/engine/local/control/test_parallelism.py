"""parallelism on Workflow, Steps, DAG and sliced steps caps how many run at once.

With a cap above 1 the first ``cap`` steps wait for each other (``together``), so the peak
reaches the cap by construction however loaded the machine is, not because the machine was
quick to start them; that no more ran at once is read from the spans the OPs record.
"""

from __future__ import annotations

from pathlib import Path

from dflow_like import DAG, InputParameter, Inputs, Step, Steps, Task, Workflow, config
from dflow_like.python import PythonOPTemplate, Slices

from .helpers import peak_concurrency, run
from .ops_control import Square


def squares(log: Path, n: int, together: int = 0) -> list[Step]:
    parameters = {"log": str(log), "together": together}
    return [Step(f"s{i}", PythonOPTemplate(Square), parameters={"x": i, **parameters}) for i in range(n)]


def test_workflow_parallelism(tmp_path: Path) -> None:
    config["workers"] = 4
    log = tmp_path / "log"
    wf = Workflow("wfpar", parallelism=1)
    wf.add(squares(log, 4))
    assert run(wf) == "Succeeded"
    assert peak_concurrency(log) == 1


def test_steps_template_parallelism(tmp_path: Path) -> None:
    config["workers"] = 4
    log = tmp_path / "log"
    inner = Steps("inner", parallelism=2)
    inner.add(squares(log, 6, together=2))
    wf = Workflow("stpar")
    wf.add(Step("inner", inner))
    assert run(wf) == "Succeeded"
    assert peak_concurrency(log) == 2


def test_dag_parallelism(tmp_path: Path) -> None:
    config["workers"] = 4
    log = tmp_path / "log"
    dag = DAG("d", parallelism=1)
    dag.add([Task(f"t{i}", PythonOPTemplate(Square), parameters={"x": i, "log": str(log)}) for i in range(3)])
    assert run(Workflow("dagpar", dag=dag)) == "Succeeded"
    assert peak_concurrency(log) == 1


def test_sliced_step_parallelism(tmp_path: Path) -> None:
    config["workers"] = 4
    log = tmp_path / "log"
    template = PythonOPTemplate(Square, slices=Slices(input_parameter=["x"], output_parameter=["y"]))
    wf = Workflow("slicepar")
    wf.add(Step("sq", template, parameters={"x": list(range(6)), "log": str(log), "together": 3}, parallelism=3))
    assert run(wf) == "Succeeded"
    assert peak_concurrency(log) == 3


def test_without_caps_the_worker_count_bounds_concurrency(tmp_path: Path) -> None:
    config["workers"] = 3
    log = tmp_path / "log"
    wf = Workflow("free")
    wf.add(squares(log, 6, together=3))
    assert run(wf) == "Succeeded"
    assert peak_concurrency(log) == 3


def test_workflow_parameters_reach_the_entrypoint(tmp_path: Path) -> None:
    steps = Steps("main", inputs=Inputs(parameters={"n": InputParameter()}))
    steps.add(Step("sq", PythonOPTemplate(Square), parameters={"x": steps.inputs.parameters["n"]}))
    wf = Workflow("params", steps=steps, parameters={"n": 7})
    assert run(wf) == "Succeeded"
    assert wf.query_step(name="sq")[0].outputs.parameters["y"].value == 49
