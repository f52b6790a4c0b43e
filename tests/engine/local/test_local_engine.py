"""The embedded engine, end to end through the public API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dflow_like import (
    DAG,
    InputArtifact,
    InputParameter,
    Inputs,
    OutputArtifact,
    OutputParameter,
    Outputs,
    Step,
    Steps,
    Task,
    Workflow,
    download_artifact,
    upload_artifact,
)
from dflow_like.python import PythonOPTemplate
from tests.ops_for_tests import CountFiles, Fail, Files, Forgetful, Hello, Join, MovePoint, Point, Shout
from tests.polling import poll, wait_gone

TIMEOUT = 60


def run(wf: Workflow) -> str:
    wf.submit()
    return wf.wait(timeout=TIMEOUT)


def diamond() -> Workflow:
    dag = DAG("diamond")
    a = Task("a", PythonOPTemplate(Hello), parameters={"name": "dag"})
    b = Task(
        "b",
        PythonOPTemplate(Shout),
        parameters={"text": a.outputs.parameters["greeting"], "times": 2},
        artifacts={"file": a.outputs.artifacts["file"]},
    )
    c = Task(
        "c",
        PythonOPTemplate(Shout),
        parameters={"text": "c"},
        artifacts={"file": a.outputs.artifacts["file"]},
    )
    d = Task(
        "d",
        PythonOPTemplate(Join),
        parameters={"left": b.outputs.parameters["text"], "right": c.outputs.parameters["text"]},
        artifacts={"files": b.outputs.artifacts["file"]},
    )
    dag.add([a, b, c, d])
    return Workflow("diamond", dag=dag)


def test_diamond_dag_passes_parameters_and_artifacts(tmp_path: Path) -> None:
    wf = diamond()
    assert run(wf) == "Succeeded"
    d = wf.query_step(name="d")[0]
    assert d.phase == "Succeeded" and d.type == "Pod"
    assert d.outputs.parameters["joined"].value == "HELLO, DAG! | C"
    assert d.outputs.parameters["count"].value == 1
    b = wf.query_step(name="b")[0]
    (path,) = download_artifact(b.outputs.artifacts["file"], path=tmp_path / "dl")
    assert Path(path).read_text() == "HELLO, DAG!HELLO, DAG!"
    b_start, c_start = b.start_time, wf.query_step(name="c")[0].start_time
    assert b_start is not None and c_start is not None and d.start_time is not None
    assert d.start_time >= max(b_start, c_start)


def test_steps_with_parallel_stage_and_nested_steps_template() -> None:
    inner = Steps(
        "inner",
        inputs=Inputs(parameters={"who": InputParameter()}, artifacts={"seed": InputArtifact()}),
        outputs=Outputs(parameters={"loud": OutputParameter()}, artifacts={"loud_file": OutputArtifact()}),
    )
    shout = Step(
        "shout",
        PythonOPTemplate(Shout),
        parameters={"text": inner.inputs.parameters["who"]},
        artifacts={"file": inner.inputs.artifacts["seed"]},
    )
    inner.add(shout)
    inner.outputs.parameters["loud"].value_from_parameter = shout.outputs.parameters["text"]
    inner.outputs.artifacts["loud_file"]._from = shout.outputs.artifacts["file"]
    wf = Workflow("nested")
    h1, h2 = (
        Step("h1", PythonOPTemplate(Hello), parameters={"name": "one"}),
        Step("h2", PythonOPTemplate(Hello), parameters={"name": "two"}),
    )
    wf.add([h1, h2])
    wf.add(
        Step(
            "group",
            inner,
            parameters={"who": h2.outputs.parameters["greeting"]},
            artifacts={"seed": h1.outputs.artifacts["file"]},
        )
    )
    assert run(wf) == "Succeeded"
    group = wf.query_step(name="group")[0]
    assert group.type == "Steps"
    assert group.outputs.parameters["loud"].value == "HELLO, TWO!"
    (path,) = download_artifact(group.outputs.artifacts["loud_file"], path="out")
    assert Path(path).read_text() == "HELLO, ONE!"
    h1_rec, h2_rec = wf.query_step(name="h1")[0], wf.query_step(name="h2")[0]
    # the next stage waited for both (a stage's steps overlapping is shown, by construction
    # rather than timing, in test_steps_run_in_parallel_up_to_the_worker_count)
    assert h1_rec.end_time and h2_rec.end_time and group.start_time
    assert group.start_time >= max(h1_rec.end_time, h2_rec.end_time)


def test_python_objects_and_big_parameters_round_trip() -> None:
    wf = Workflow("objects")
    move = Step(
        "move",
        PythonOPTemplate(MovePoint),
        parameters={"p": Point(1.5, {1: "start"}), "big": {"k": list(range(1000))}},
    )
    wf.add(move)
    again = Step(
        "again",
        PythonOPTemplate(MovePoint),
        parameters={"p": move.outputs.parameters["p"], "big": move.outputs.parameters["big"]},
    )
    wf.add(again)
    assert run(wf) == "Succeeded"
    p = wf.query_step(name="again")[0].outputs.parameters["p"].value
    assert isinstance(p, Point) and p.x == 3.5 and p.tags == {1: "start", 2: "moved"}
    assert wf.query_step(name="again")[0].outputs.parameters["big"].value["n"] == 2


def test_list_set_dict_and_directory_artifacts() -> None:
    wf = Workflow("shapes")
    files = Step("files", PythonOPTemplate(Files))
    wf.add(files)
    wf.add(
        Step(
            "count",
            PythonOPTemplate(CountFiles),
            artifacts={n: files.outputs.artifacts[n] for n in ("many", "bag", "named", "folder")},
        )
    )
    assert run(wf) == "Succeeded"
    summary = wf.query_step(name="count")[0].outputs.parameters["summary"].value
    assert summary == "['m0', 'm1', 'm2']['a', 'b']{'A': 'a', 'B': 'b'}deep"
    rec = wf.query_step(name="files")[0]
    assert sorted(Path(p).name for p in download_artifact(rec.outputs.artifacts["many"], path="dl")) == [
        "m0.txt",
        "m1.txt",
        "m2.txt",
    ]
    assert download_artifact(rec.outputs.artifacts["many"], path="one", slice=1) == [str(Path("one") / "m1.txt")]
    folder = download_artifact(rec.outputs.artifacts["folder"], path="f")[0]
    assert (Path(folder) / "sub" / "deep.txt").read_text() == "deep"


def test_uploaded_files_and_directories_reach_the_op(tmp_path: Path) -> None:
    Path("note.txt").write_text("quiet")
    art = upload_artifact("note.txt")
    Path("note.txt").write_text("changed after upload")
    wf = Workflow("upload")
    wf.add(
        Step(
            "shout",
            PythonOPTemplate(Shout),
            parameters={"text": "x", "times": 3},
            artifacts={"file": art},
        )
    )
    assert run(wf) == "Succeeded"
    (path,) = download_artifact(wf.query_step(name="shout")[0].outputs.artifacts["file"], path=tmp_path / "o")
    assert Path(path).read_text() == "QUIETQUIETQUIET"


def test_failing_op_fails_its_step_and_the_workflow_but_keeps_other_results() -> None:
    wf = Workflow("failing")
    ok = Step("ok", PythonOPTemplate(Hello), parameters={"name": "survivor"})
    bad = Step("bad", PythonOPTemplate(Fail), parameters={"x": 7})
    wf.add([ok, bad])
    wf.add(Step("never", PythonOPTemplate(Hello), parameters={"name": "x"}))
    assert run(wf) == "Failed"
    rec = wf.query_step(name="bad")[0]
    assert rec.phase == "Failed" and "ValueError: bad x: 7" in rec.message
    log = Path(rec.log_path or "").read_text()
    assert "about to fail" in log and "Traceback" in log and "ValueError: bad x: 7" in log
    assert (Path(rec.workdir or "") / "partial.txt").read_text() == "half done"
    assert json.loads((Path(rec.log_path or "").parent / "step.json").read_text())["parameters"] == {"x": "7"}
    assert wf.query_step(name="never") == []
    good = wf.query_step(name="ok")[0]
    (path,) = download_artifact(good.outputs.artifacts["file"], path="dl")
    assert Path(path).read_text() == "Hello, survivor!"


def test_output_the_op_did_not_produce_fails_the_step() -> None:
    wf = Workflow("forgetful")
    wf.add(Step("forget", PythonOPTemplate(Forgetful)))
    assert run(wf) == "Failed"
    assert "output 'z' is declared in the output sign but not returned" in wf.query_step(name="forget")[0].message


def test_query_step_filters() -> None:
    wf = diamond()
    assert run(wf) == "Succeeded"
    names = [s.name for s in wf.query_step(type="Pod")]
    assert sorted(names) == ["a", "b", "c", "d"]
    assert [s.name for s in wf.query_step(name=["a", "d"])] == ["a", "d"]
    assert wf.query_step(phase="Failed") == []
    root = wf.query_step(type="DAG")[0]
    assert root.parent_id is None and {s.name for s in wf.query_step(parent_id=root.id)} == {
        "a",
        "b",
        "c",
        "d",
    }
    assert wf.query_step(id=root.id)[0].name == wf.id


def test_reattach_from_another_process_queries_and_downloads(tmp_path: Path) -> None:
    wf = diamond()
    assert run(wf) == "Succeeded"
    script = textwrap.dedent(f"""
        from dflow_like import Workflow, download_artifact
        wf = Workflow(id={wf.id!r})
        print(wf.query_status())
        b = wf.query_step(name="b")[0]
        print(b.outputs.parameters["text"].value)
        print(open(download_artifact(b.outputs.artifacts["file"], path={str(tmp_path / "other")!r})[0]).read())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split("\n")[:3] == ["Succeeded", "HELLO, DAG!", "HELLO, DAG!HELLO, DAG!"]


def test_submit_returns_at_once_and_state_survives_the_caller(tmp_path: Path) -> None:
    """The step holds until the test opens its gate, after the submitting script has exited:
    submit() cannot have waited for it, and the run goes on without its caller."""
    gate = tmp_path / "gate"
    script = tmp_path / "submit_and_exit.py"
    script.write_text(
        textwrap.dedent(f"""
        import time
        from pathlib import Path
        from dflow_like import Step, Workflow
        from dflow_like.python import OP, OPIO, OPIOSign, PythonOPTemplate

        class Slow(OP):  # defined in __main__: travels by value
            @classmethod
            def get_output_sign(cls):
                return OPIOSign({{"done": str}})

            def execute(self, op_in):
                deadline = time.monotonic() + 60
                while not Path({str(gate)!r}).exists() and time.monotonic() < deadline:
                    time.sleep(0.01)
                return OPIO({{"done": "yes" if Path({str(gate)!r}).exists() else "gate never opened"}})

        wf = Workflow("detached")
        wf.add(Step("slow", PythonOPTemplate(Slow)))
        wf.submit()
        print(wf.id, wf.query_status())
    """)
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=60)
    wf_id, phase = out.stdout.split()
    assert phase in ("Pending", "Running")  # returned while its step still waited
    gate.touch()
    wf = Workflow(id=wf_id)
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    assert wf.query_step(name="slow")[0].outputs.parameters["done"].value == "yes"


def test_terminate_stops_running_steps(tmp_path: Path) -> None:
    pidfile = tmp_path / "sleepy.pid"
    wf = Workflow("stop-me")
    wf.add(Step("sleepy", PythonOPTemplate(_sleepy_op()), parameters={"pidfile": str(pidfile)}))
    wf.submit()
    pid = int(poll(lambda: pidfile.exists() and pidfile.read_text(), "the step to start"))
    wf.terminate()
    assert wf.wait(timeout=20) == "Failed"  # the step sleeps 30 s: only terminate() ends it this soon
    rec = wf.query_step(name="sleepy")[0]
    assert rec.phase == "Failed" and rec.message == "terminated"
    wait_gone(pid, "the terminated step's process")


def _sleepy_op() -> object:
    from dflow_like.python import OP

    @OP.function
    def sleepy(pidfile: str) -> {"x": int}:  # type: ignore[valid-type]  # noqa: F821
        partial = pidfile + ".partial"
        with open(partial, "w") as fh:
            fh.write(str(os.getpid()))
        os.replace(partial, pidfile)  # the test never reads half a pid
        time.sleep(30)
        return {"x": 1}

    return sleepy


@pytest.mark.parametrize("workers", [1, 2])
def test_steps_run_in_parallel_up_to_the_worker_count(workers: int, tmp_path: Path) -> None:
    from dflow_like import config
    from tests.ops_for_tests import Sleep

    config["workers"] = workers
    log = tmp_path / "runs.log"
    wf = Workflow("parallel")
    parameters = {"seconds": 0.3, "log": str(log), "together": workers}  # the first `workers` wait for each other
    wf.add([Step(f"s{i}", PythonOPTemplate(Sleep), parameters=parameters) for i in range(4)])
    assert run(wf) == "Succeeded"
    spans = [tuple(map(float, line.split())) for line in log.read_text().splitlines()]
    peak = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert peak == workers  # reached by construction (together), never exceeded (the engine)
    pids = {wf.query_step(name=f"s{i}")[0].outputs.parameters["pid"].value for i in range(4)}
    assert len(pids) == 4  # every step in a process of its own


def test_a_one_file_list_upload_reaches_a_path_input_as_that_file(tmp_path: Path) -> None:
    Path("one.txt").write_text("single")
    wf = Workflow("onefile")
    wf.add(
        Step(
            "shout", PythonOPTemplate(Shout), parameters={"text": "x"}, artifacts={"file": upload_artifact(["one.txt"])}
        )
    )
    assert run(wf) == "Succeeded"
    (path,) = download_artifact(wf.query_step(name="shout")[0].outputs.artifacts["file"], path=tmp_path / "o")
    assert Path(path).read_text() == "SINGLE"


def test_engine_is_not_shadowed_by_a_dflow_like_folder_in_the_callers_directory() -> None:
    decoy = Path("dflow_like")
    decoy.mkdir()
    (decoy / "__init__.py").write_text("raise ImportError('the decoy source tree was imported')\n")
    wf = Workflow("decoy")
    wf.add(Step("hello", PythonOPTemplate(Hello), parameters={"name": "x"}))
    assert run(wf) == "Succeeded"
