"""dflow programs as people write them (docs, examples, tutorials), imports renamed.

Each test is a small program in a dflow user's style, not a copy of dflow's test files.
Where a behaviour follows dflow's source, the test names the file and function; where we
chose to differ from dflow, the docstring says so and why.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import List

import pytest

from dflow_like import (
    DAG,
    DefinitionError,
    InputArtifact,
    InputParameter,
    OutputArtifact,
    OutputParameter,
    PVC,
    ShellOPTemplate,
    Step,
    Steps,
    Task,
    Workflow,
    argo_range,
    config,
    download_artifact,
    s3_config,
    upload_artifact,
)
from dflow_like.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate, Slices

TIMEOUT = 60


class Square(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": int, "file": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        Path("square.txt").write_text(str(op_in["x"] ** 2))
        return OPIO({"y": op_in["x"] ** 2, "file": Path("square.txt")})


class Total(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"ys": List[int], "files": Artifact(List[Path])})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"total": int, "count": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"total": sum(op_in["ys"]), "count": len(op_in["files"])})


class Twice(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"n": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"n": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"n": 2 * op_in["n"]})


class WaitForGate(OP):
    """Finishes once the test creates ``gate`` (bounded: fails after 30 s)."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"gate": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign()

    def execute(self, op_in: OPIO) -> OPIO:
        import time

        deadline = time.monotonic() + 30
        while not Path(op_in["gate"]).exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the test never opened the gate")
            time.sleep(0.01)
        return OPIO()


@OP.function
def add_one(x: int) -> {"y": int}:  # type: ignore[valid-type]  # noqa: F821 (dflow's dict-annotation style)
    return {"y": x + 1}


@OP.function
def double(y: int) -> int:
    return 2 * y


class CountTo(OP):
    """Reports progress as it goes; stops at 3 until the test opens the gate (bounded)."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"n": int, "gate": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign()

    def execute(self, op_in: OPIO) -> OPIO:
        import time

        self.progress_total = op_in["n"]
        for i in range(op_in["n"]):
            self.progress_current = i + 1
            deadline = time.monotonic() + 30
            while i + 1 == 3 and not Path(op_in["gate"]).exists():
                if time.monotonic() > deadline:
                    raise TimeoutError("the test never opened the gate")
                time.sleep(0.01)
        return OPIO()


class CountFiles(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"files": Artifact(List[Path])})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"n": int})

    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"n": len(op_in["files"])})


def finished(wf: Workflow) -> str:
    wf.submit()
    return wf.wait(timeout=TIMEOUT)


# --- 1. template inputs/outputs assigned as plain dicts --------------------------------------


def hello_templates() -> tuple[ShellOPTemplate, ShellOPTemplate]:
    """The way dflow's docs build script templates: fields assigned as dicts after construction."""
    hello = ShellOPTemplate(name="hello", image="alpine:latest", script="echo Hello > /tmp/msg.txt")
    hello.outputs.parameters = {"msg": OutputParameter(value_from_path="/tmp/msg.txt")}
    hello.outputs.artifacts = {"file": OutputArtifact(path="/tmp/msg.txt")}
    echo = ShellOPTemplate(
        name="echo",
        image="alpine:latest",
        script="cat /tmp/in.txt > /tmp/out.txt && echo ' {{inputs.parameters.text}}' >> /tmp/out.txt",
    )
    echo.inputs.parameters = {"text": InputParameter()}
    echo.inputs.artifacts = {"file": InputArtifact(path="/tmp/in.txt")}
    echo.outputs.artifacts = {"out": OutputArtifact(path="/tmp/out.txt")}
    return hello, echo


def test_dict_assigned_template_fields_are_named_and_run(tmp_path: Path) -> None:
    """dflow's ``Inputs/Outputs.__setattr__`` (``dflow/io.py``) wrap an assigned dict in an
    ``AutonamedDict`` that names every field by its key."""
    hello, echo = hello_templates()
    wf = Workflow("dict-fields")
    s0 = Step("hello", hello)
    s1 = Step(
        "echo",
        echo,
        parameters={"text": s0.outputs.parameters["msg"]},
        artifacts={"file": s0.outputs.artifacts["file"]},
    )
    assert str(s0.outputs.parameters["msg"]) == "{{steps.hello.outputs.parameters.msg}}"
    wf.add(s0)
    wf.add(s1)
    manifest = wf.to_yaml()
    assert "{{steps.hello.outputs.parameters.msg}}" in manifest and "parameters.}}" not in manifest
    assert finished(wf) == "Succeeded"
    step = wf.query_step(name="echo")[0]
    (path,) = download_artifact(step.outputs.artifacts["out"], path=tmp_path)
    assert Path(path).read_text().split() == ["Hello", "Hello"]


def test_dict_assigned_fields_of_the_wrong_kind_are_refused() -> None:
    tmpl = ShellOPTemplate(name="t", script="true")
    with pytest.raises(TypeError, match=r"outputs.parameters\['x'\]: expected OutputParameter, got InputParameter"):
        tmpl.outputs.parameters = {"x": InputParameter()}
    with pytest.raises(TypeError, match="expected a dict"):
        tmpl.inputs.artifacts = [InputArtifact(path="/a")]  # type: ignore[assignment]


def test_dict_assigned_steps_outputs_are_named() -> None:
    steps = Steps("inner")
    steps.inputs.parameters = {"n": InputParameter(value=1)}
    s = Step("twice", PythonOPTemplate(Twice), parameters={"n": steps.inputs.parameters["n"]})
    steps.add(s)
    steps.outputs.parameters = {"n": OutputParameter(value_from_parameter=s.outputs.parameters["n"])}
    wf = Workflow("steps-dict")
    wf.add(Step("inner", steps, parameters={"n": 21}))
    assert finished(wf) == "Succeeded"
    assert wf.query_step(name="inner")[0].outputs.parameters["n"].value == 42


# --- 2. fan-outs over zero items ----------------------------------------------------------------


def test_with_param_over_zero_items_gives_empty_outputs_and_the_consumer_runs() -> None:
    wf = Workflow("zero-items")
    squares = Step(
        "square",
        PythonOPTemplate(Square, slices=Slices("{{item}}", input_parameter=["x"], output_parameter=["y"])),
        parameters={"x": []},
        with_param=argo_range(0),
    )
    total = Step(
        "total",
        PythonOPTemplate(Total),
        parameters={"ys": squares.outputs.parameters["y"]},
        artifacts={"files": squares.outputs.artifacts["file"]},
    )
    wf.add(squares)
    wf.add(total)
    assert finished(wf) == "Succeeded"
    group = wf.query_step(name="square")[0]
    assert group.outputs.parameters["y"].value == []
    assert download_artifact(group.outputs.artifacts["file"]) == []
    out = wf.query_step(name="total")[0].outputs.parameters
    assert (out["total"].value, out["count"].value) == (0, 0)


def test_slices_over_an_empty_list_in_a_dag() -> None:
    dag = DAG("zero-dag")
    squares = Task(
        "square",
        PythonOPTemplate(
            Square, slices=Slices(input_parameter=["x"], output_parameter=["y"], output_artifact=["file"])
        ),
        parameters={"x": []},
    )
    total = Task(
        "total",
        PythonOPTemplate(Total),
        parameters={"ys": squares.outputs.parameters["y"]},
        artifacts={"files": squares.outputs.artifacts["file"]},
    )
    dag.add([squares, total])
    wf = Workflow("zero-dag", dag=dag)
    assert finished(wf) == "Succeeded"
    assert wf.query_step(name="total")[0].outputs.parameters["count"].value == 0


# --- 4. dflow's debug mode and environment variables ---------------------------------------------


def gated_workflow(gate: Path) -> Workflow:
    wf = Workflow("gated")
    wf.add(Step("wait", PythonOPTemplate(WaitForGate), parameters={"gate": str(gate)}))
    wf.add(Step("twice", PythonOPTemplate(Twice), parameters={"n": 21}))
    return wf


def test_debug_mode_submit_returns_after_the_run(tmp_path: Path) -> None:
    """dflow's ``Workflow.submit`` runs the workflow in place in debug mode (``workflow.py``),
    so programs query right after it."""
    config["mode"] = "debug"
    wf = Workflow("debug-mode")
    wf.add(Step("twice", PythonOPTemplate(Twice), parameters={"n": 21}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(name="twice")[0].outputs.parameters["n"].value == 42


def test_dflow_mode_environment_variable_selects_debug_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DFLOW_MODE", "debug")
    wf = Workflow("debug-env")
    wf.add(Step("twice", PythonOPTemplate(Twice), parameters={"n": 2}))
    wf.submit()
    assert wf.query_status() == "Succeeded"


def test_debug_mode_with_detach_and_default_mode_return_at_once(tmp_path: Path) -> None:
    for mode, detach in (("default", False), ("debug", True)):
        config["mode"], config["detach"] = mode, detach
        gate = tmp_path / f"gate-{mode}"
        wf = gated_workflow(gate)
        wf.submit()
        assert wf.query_status() in ("Pending", "Running")  # the first step waits for the gate
        gate.touch()
        assert wf.wait(timeout=TIMEOUT) == "Succeeded"


def test_dflow_environment_variables_are_aliases_of_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    """dflow reads ``DFLOW_HOST``, ``DFLOW_S3_ENDPOINT``, ... (``dflow/config.py``)."""
    monkeypatch.setenv("DFLOW_HOST", "https://argo.example:2746")
    monkeypatch.setenv("DFLOW_S3_ENDPOINT", "minio.example:9000")
    monkeypatch.setenv("DFLOW_S3_BUCKET_NAME", "dflow-bucket")
    assert config["host"] == "https://argo.example:2746"
    assert (s3_config["endpoint"], s3_config["bucket_name"]) == ("minio.example:9000", "dflow-bucket")
    monkeypatch.setenv("DFLOW_LIKE_S3_BUCKET_NAME", "ours")  # our own name wins
    assert s3_config["bucket_name"] == "ours"
    s3_config["bucket_name"] = "set-in-code"  # an assignment wins over both
    assert s3_config["bucket_name"] == "set-in-code"


# --- 5. fan-out over any iterable ---------------------------------------------------------------


def numpy_or_skip() -> object:
    try:
        import numpy
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip("numpy is not installed")
    return numpy


@pytest.mark.parametrize("kind", ["range", "tuple", "generator", "numpy"])
def test_fan_out_over_any_iterable(kind: str) -> None:
    def values() -> object:
        if kind == "range":
            return range(1, 4)
        if kind == "tuple":
            return (1, 2, 3)
        if kind == "generator":
            return (i for i in [1, 2, 3])
        return numpy_or_skip().arange(1, 4)  # type: ignore[attr-defined]

    sliced = Slices(input_parameter=["x"], output_parameter=["y"], output_artifact=["file"])
    wf = Workflow(f"iter-{kind}")
    by_slices = Step("sliced", PythonOPTemplate(Square, slices=sliced), parameters={"x": values()})
    by_param = Step("looped", PythonOPTemplate(Twice), parameters={"n": "{{item}}"}, with_param=values())
    wf.add([by_slices, by_param])
    assert finished(wf) == "Succeeded"
    assert wf.query_step(name="sliced")[0].outputs.parameters["y"].value == [1, 4, 9]
    assert wf.query_step(name="looped")[0].outputs.parameters["n"].value == [2, 4, 6]


# --- 6. Workflow.add(Task) ----------------------------------------------------------------------


def test_adding_tasks_makes_the_entrypoint_a_dag() -> None:
    """dflow's ``Workflow.add``: with no entrypoint yet, Tasks make it a ``DAG``."""
    wf = Workflow("tasks")
    first = Task("first", PythonOPTemplate(Twice), parameters={"n": 1})
    second = Task("second", PythonOPTemplate(Twice), parameters={"n": first.outputs.parameters["n"]})
    wf.add(first)
    wf.add(second)
    assert isinstance(wf.entrypoint, DAG)
    assert finished(wf) == "Succeeded"
    assert wf.query_step(name="second")[0].outputs.parameters["n"].value == 4
    steps_wf = Workflow("steps")
    steps_wf.add(Step("only", PythonOPTemplate(Twice), parameters={"n": 1}))
    assert isinstance(steps_wf.entrypoint, Steps)


# --- 7. untyped parameters stay strings ---------------------------------------------------------


def test_untyped_parameters_stay_strings_typed_ones_are_decoded() -> None:
    """As on Argo, and dflow's ``ArgoParameter.__getattr__`` (``argo_objects.py``): a value is
    decoded only when its parameter has a type (other than ``str``)."""
    count = ShellOPTemplate(name="count", script="echo 42 > /tmp/n.txt && echo '[1, 2]' > /tmp/l.txt")
    count.outputs.parameters = {
        "raw": OutputParameter(value_from_path="/tmp/n.txt"),
        "typed": OutputParameter(value_from_path="/tmp/n.txt", type=int),
        "pair": OutputParameter(value_from_path="/tmp/l.txt"),
    }
    wf = Workflow("untyped")
    s0 = Step("count", count)
    s1 = Step("twice", PythonOPTemplate(Twice), parameters={"n": s0.outputs.parameters["raw"]})
    wf.add(s0)
    wf.add(s1)
    assert finished(wf) == "Succeeded"
    out = wf.query_step(name="count")[0].outputs.parameters
    assert (out["raw"].value, out["typed"].value, out["pair"].value) == ("42", 42, "[1, 2]")
    # the consumer's sign says int: the OP gets 42, the record of its int output is decoded
    assert wf.query_step(name="twice")[0].outputs.parameters["n"].value == 84
    assert wf.query_step(name="twice")[0].inputs.parameters["n"].value == 42


# --- 8. download_artifact of an upload from an absolute path ------------------------------------


def test_download_of_an_absolute_path_upload_lands_at_its_basename(tmp_path: Path) -> None:
    """Differs from dflow: dflow's ``upload_artifact`` (``dflow/utils.py``) stores a path outside
    the working directory at its full path minus the leading ``/`` (``relpath = abspath[1:]``),
    so it downloads to ``path/tmp/.../data.txt``. We store it at its base name, so it lands at
    ``path/data.txt``; two uploaded paths that share a base name keep dflow's layout instead of
    overwriting each other."""
    data = tmp_path / "inputs" / "data.txt"
    data.parent.mkdir()
    data.write_text("numbers")
    art = upload_artifact(str(data.resolve()))
    (got,) = download_artifact(art, path=tmp_path / "dl")
    assert Path(got) == tmp_path / "dl" / "data.txt" and Path(got).read_text() == "numbers"

    other = tmp_path / "more" / "data.txt"
    other.parent.mkdir()
    other.write_text("more numbers")
    both = upload_artifact([str(data.resolve()), str(other.resolve())])
    paths = download_artifact(both, path=tmp_path / "dl2")
    assert [Path(p).read_text() for p in paths] == ["numbers", "more numbers"]
    assert Path(paths[0]) == tmp_path / "dl2" / "data.txt"


def test_download_of_a_script_output_lands_at_its_basename(tmp_path: Path) -> None:
    """A script's ``/tmp/bar.txt`` output downloads to ``path/bar.txt`` (dflow's
    ``examples/test_steps.py`` reads ``bar.txt`` after ``download_artifact``), a directory
    output's files straight under ``path`` (dflow's ``download_artifact`` merges the single
    top directory of Argo's archive into ``path``)."""
    make = ShellOPTemplate(
        name="make", script="echo Hello > /tmp/bar.txt && mkdir -p /tmp/odir/sub && echo x > /tmp/odir/sub/f"
    )
    make.outputs.artifacts = {"bar": OutputArtifact(path="/tmp/bar.txt"), "odir": OutputArtifact(path="/tmp/odir")}
    wf = Workflow("script-out")
    s0 = Step("make", make)
    s1 = Step("count", PythonOPTemplate(CountFiles), artifacts={"files": s0.outputs.artifacts["odir"]})
    wf.add(s0)
    wf.add(s1)
    assert finished(wf) == "Succeeded"
    out = wf.query_step(name="make")[0].outputs.artifacts
    (bar,) = download_artifact(out["bar"], path=tmp_path / "dl")
    assert Path(bar) == tmp_path / "dl" / "bar.txt" and Path(bar).read_text() == "Hello\n"
    download_artifact(out["odir"], path=tmp_path / "dir")
    assert (tmp_path / "dir" / "sub" / "f").read_text() == "x\n"
    assert wf.query_step(name="count")[0].outputs.parameters["n"].value == 1  # the directory itself


# --- 3. `with Workflow(...)` and function-OP calls -----------------------------------------------


def test_function_op_calls_in_a_workflow_context() -> None:
    """dflow's ``OP.function`` ``__call__`` (``dflow/python/op.py``) makes a ``Task`` in the open
    workflow and returns its outputs; ``Workflow.__exit__`` (``dflow/workflow.py``) submits."""
    with Workflow("func-ops") as wf:
        first = add_one(x=1)
        second = add_one(first["y"])  # positional, by the sign's order
        result = double(second["y"])
    assert wf.id is not None  # submitted when the block ended
    assert isinstance(wf.entrypoint, DAG)
    assert str(result) == "{{tasks.double.outputs.parameters.dflow_output}}"
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    assert wf.query_step(name="double")[0].outputs.parameters["dflow_output"].value == 6
    assert sorted(r.name for r in wf.query_step(type="Pod")) == ["add-one", "add-one-2", "double"]
    assert add_one(x=1) == {"y": 2}  # outside a workflow it is the plain function


def test_function_op_use_passes_step_options() -> None:
    with Workflow("func-use") as wf:
        looped = double.use(with_param=argo_range(3))(y="{{item}}")
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    assert str(looped).startswith("{{tasks.double.")
    assert wf.query_step(name="double", type="StepGroup")[0].outputs.parameters["dflow_output"].value == [0, 2, 4]


def test_steps_made_in_the_context_are_added_once(tmp_path: Path) -> None:
    """As in dflow's examples (``examples/test_func_op.py``): steps made in the block are added.
    Differs from dflow: adding one explicitly too moves it rather than running it twice."""
    with Workflow("context-steps") as wf:
        s0 = Step("twice", PythonOPTemplate(Twice), parameters={"n": 1})
        s1 = Step("again", PythonOPTemplate(Twice), parameters={"n": s0.outputs.parameters["n"]})
        wf.add(s1)  # already added by the context: not a second time
    assert [[s.name for s in stage] for stage in wf.entrypoint.steps] == [["twice"], ["again"]]  # type: ignore[attr-defined]
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    assert wf.query_step(name="again")[0].outputs.parameters["n"].value == 4


def test_nested_contexts_return_to_the_outer_workflow() -> None:
    """Differs from dflow, whose single global context is emptied when an inner ``with DAG()``
    ends: here the steps after it still go to the workflow."""
    with Workflow("nested") as wf:
        with DAG("inner") as inner:
            inner.inputs.parameters = {"n": InputParameter()}
            t = Task("t", PythonOPTemplate(Twice), parameters={"n": inner.inputs.parameters["n"]})
            inner.outputs.parameters = {"n": OutputParameter(value_from_parameter=t.outputs.parameters["n"])}
        outer = Step("outer", inner, parameters={"n": 5})
        Step("last", PythonOPTemplate(Twice), parameters={"n": outer.outputs.parameters["n"]})
    assert [t.name for t in inner.tasks] == ["t"]
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    assert wf.query_step(name="last")[0].outputs.parameters["n"].value == 20


def test_calling_a_template_makes_a_step(tmp_path: Path) -> None:
    hello, echo = hello_templates()
    with Workflow("template-calls") as wf:
        said = hello()
        echoed = echo(text=said.outputs.parameters["msg"], file=said.outputs.artifacts["file"])
    assert (said.name, echoed.name) == ("hello", "echo")
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    (path,) = download_artifact(wf.query_step(name="echo")[0].outputs.artifacts["out"], path=tmp_path)
    assert Path(path).read_text().split() == ["Hello", "Hello"]


def test_a_block_that_raises_is_not_submitted_and_calls_need_a_context() -> None:
    """Differs from dflow, whose ``Workflow.__exit__`` submits whatever was built."""
    with pytest.raises(ZeroDivisionError), Workflow("broken") as wf:
        add_one(x=1)
        _ = 1 / 0
    assert wf.id is None
    hello, _ = hello_templates()
    with pytest.raises(DefinitionError, match="inside `with Workflow"):
        hello()


# --- 9. dflow_like.utils and step progress --------------------------------------------------------


def test_step_progress_while_running_and_after(tmp_path: Path) -> None:
    """An OP sets ``progress_total``/``progress_current`` (dflow's ``OP.__setattr__`` writes them to
    Argo's progress file); the record shows ``"3/10"``, groups sum their children (Argo's
    ``workflow/progress/updater.go``), and a succeeded pod is complete."""
    import time

    gate = tmp_path / "gate"
    wf = Workflow("progress")
    wf.add([
        Step("count", PythonOPTemplate(CountTo), parameters={"n": 10, "gate": str(gate)}),
        Step("quick", PythonOPTemplate(Twice), parameters={"n": 1}),
    ])  # fmt: skip
    wf.submit()
    deadline = time.monotonic() + TIMEOUT
    while (wf.query_step(name="count") or [None])[0] is None or wf.query_step(name="count")[0].progress != "3/10":
        assert time.monotonic() < deadline, f"progress never reached 3/10: {wf.query_step(name='count')}"
        time.sleep(0.02)
    assert wf.query_step(name="count")[0].phase == "Running"
    gate.touch()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    assert wf.query_step(name="count")[0].progress == "10/10"
    assert wf.query_step(name="quick")[0].progress == "1/1"
    root = [r for r in wf.query_step() if r.parent_id is None][0]
    assert root.progress == "11/11"


def test_dflow_utils_helpers(tmp_path: Path) -> None:
    from dflow_like.utils import (
        catalog_of_artifact,
        copy_artifact,
        path_list_of_artifact,
        path_object_of_artifact,
        run_command,
        set_directory,
    )

    with set_directory(tmp_path / "job", mkdir=True) as here:
        assert Path.cwd() == here == (tmp_path / "job").resolve()
        code, out, err = run_command("echo hello")
        assert (code, out, err) == (0, "hello\n", "")
        code, out, _ = run_command(["sh", "-c", "cat; exit 3"], raise_error=False, input="data")
        assert (code, out) == (3, "data")
        code, out, err = run_command(["sh", "-c", "echo out; echo err >&2"], print_oe=True)  # echoed as it runs
        assert (code, out, err) == (0, "out\n", "err\n")
        with pytest.raises(AssertionError, match="exit code 3"):  # dflow asserts: still an AssertionError
            run_command("sh -c 'exit 3'", shell=True)
        Path("a.txt").write_text("a")
        Path("b.txt").write_text("b")
        first = upload_artifact(["a.txt", "b.txt"])
        second = upload_artifact("b.txt")
    assert Path.cwd() != here
    assert catalog_of_artifact(first) == [
        {"dflow_list_item": "a.txt", "order": 0},
        {"dflow_list_item": "b.txt", "order": 1},
    ]
    assert path_list_of_artifact(first) == path_object_of_artifact(first) == ["a.txt", "b.txt"]
    both = copy_artifact(second, first, sort=True)
    assert both is first and path_list_of_artifact(first) == ["a.txt", "b.txt", "b.txt"]  # first now holds both
    wf = Workflow("copied")
    wf.add(Step("total", PythonOPTemplate(CountFiles), artifacts={"files": both}))
    assert finished(wf) == "Succeeded"
    assert wf.query_step(name="total")[0].outputs.parameters["n"].value == 3


# --- 10. PVC artifacts ----------------------------------------------------------------------------


def async_pvc_workflow() -> Workflow:
    """dflow's asynchronous hand-over through a PVC (``examples/test_async.py``), bounded."""
    hello = ShellOPTemplate(name="hello", image="alpine:latest", script="echo Hello > /tmp/bar.txt")
    hello.outputs.artifacts = {"bar": OutputArtifact(path="/tmp/bar.txt")}
    echo = ShellOPTemplate(
        name="echo",
        image="alpine:latest",
        script="for i in $(seq 1 600); do if [ -f /tmp/foo.txt ]; then cat /tmp/foo.txt > /tmp/got.txt; break; fi;"
        " sleep 0.05; done",
    )
    echo.inputs.artifacts = {"foo": InputArtifact(path="/tmp/foo.txt")}
    echo.outputs.parameters = {"got": OutputParameter(value_from_path="/tmp/got.txt")}
    wf = Workflow(name="async")
    step0 = Step(name="hello", template=hello)
    step1 = Step(name="echo", template=echo, artifacts={"foo": step0.outputs.artifacts["bar"].pvc()})
    wf.add([step0, step1])  # parallel: echo waits for the file hello saves into the claim
    return wf


def test_pvc_hands_a_file_to_a_parallel_step() -> None:
    wf = async_pvc_workflow()
    assert finished(wf) == "Succeeded"
    assert wf.query_step(name="echo")[0].outputs.parameters["got"].value == "Hello"
    assert wf.query_step(name="hello")[0].outputs.artifacts["bar"] is not None  # still a normal artifact too


def test_pvc_compiles_to_a_volume_claim() -> None:
    wf = async_pvc_workflow()
    manifest = wf.to_dict()
    claims = manifest["spec"]["volumeClaimTemplates"]
    assert [c["metadata"]["name"] for c in claims] == ["public"]
    assert claims[0]["spec"]["resources"]["requests"]["storage"] == "1Gi"
    templates = {t["name"]: t for t in manifest["spec"]["templates"]}
    echo, hello = templates["echo-echo"], templates["hello-hello"]
    subpath = wf.entrypoint.steps[0][1].artifacts["foo"].subpath  # type: ignore[attr-defined,union-attr]
    assert echo["script"]["source"].startswith(f"mkdir -p /tmp && ln -s /tmp/mnt/{subpath} /tmp/foo.txt\n")
    assert "artifacts" not in echo.get("inputs", {})
    assert f"cp -r /tmp/bar.txt /tmp/mnt/{subpath}.partial && mv" in hello["script"]["source"]
    for t in (echo, hello):
        assert t["script"]["volumeMounts"] == [{"name": "public", "mountPath": "/tmp/mnt"}]
    # compiled from copies: the user's steps and templates are untouched
    assert wf.entrypoint.steps[0][1].template.name == "echo"  # type: ignore[attr-defined]
    assert isinstance(wf.entrypoint.steps[0][1].artifacts["foo"], PVC)  # type: ignore[attr-defined]


def test_pvc_needs_a_script_template() -> None:
    hello = ShellOPTemplate(name="hello", script="echo Hello > /tmp/bar.txt")
    hello.outputs.artifacts = {"bar": OutputArtifact(path="/tmp/bar.txt")}
    step0 = Step("hello", hello)
    with pytest.raises(DefinitionError, match="only script templates"):
        Step("count", PythonOPTemplate(CountFiles), artifacts={"files": step0.outputs.artifacts["bar"].pvc()})


def test_argo_node_progress_and_types_reach_the_records() -> None:
    """On Argo the controller keeps each node's ``progress``; dflow's ``ArgoStep`` exposes it, and
    decodes a value only when its description carries a type other than ``str``."""
    from dflow_like.engine.argo.status import step_records

    status = {
        "metadata": {"name": "wf-1"},
        "status": {
            "nodes": {
                "wf-1-2": {
                    "id": "wf-1-2", "displayName": "count", "type": "Pod", "phase": "Running", "progress": "3/10",
                    "outputs": {"parameters": [
                        {"name": "typed", "value": "42", "description": '{"type": "int"}'},
                        {"name": "text", "value": "42", "description": '{"type": "str"}'},
                    ]},
                },
            }
        },
    }  # fmt: skip
    (rec,) = step_records(status)
    assert rec.progress == "3/10"
    assert (rec.outputs.parameters["typed"].value, rec.outputs.parameters["text"].value) == (42, "42")


def test_the_dispatcher_executor_imports_from_dflows_plugin_path() -> None:
    """dflow's examples/test_dispatcher.py: ``from dflow.plugins.dispatcher import DispatcherExecutor``
    (dflow ``src/dflow/plugins/dispatcher.py``) is how dflow programs reach Slurm."""
    from dflow_like.executor import DispatcherExecutor
    from dflow_like.plugins.dispatcher import DispatcherExecutor as FromPlugins

    assert FromPlugins is DispatcherExecutor
    with pytest.raises(ModuleNotFoundError):  # a service this project does not run: plainly missing
        __import__("dflow_like.plugins.bohrium")
