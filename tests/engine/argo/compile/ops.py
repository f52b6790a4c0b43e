"""OPs and workflows the Argo compiler tests share."""

from __future__ import annotations

from pathlib import Path

from dflow_like import (
    DAG,
    InputParameter,
    Inputs,
    OutputParameter,
    Outputs,
    ShellOPTemplate,
    Step,
    Steps,
    Task,
    Workflow,
)
from dflow_like.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate, Slices


class Make(OP):
    """Writes ``n`` files; returns their paths (a list artifact) and a number."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"n": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"files": Artifact(list[Path]), "count": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        paths = []
        for i in range(op_in["n"]):
            path = Path(f"f{i}.txt")
            path.write_text(f"file {i}\n")
            paths.append(path)
        return OPIO({"files": paths, "count": op_in["n"]})


class Double(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int, "src": Artifact(Path, optional=True)})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": int, "out": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        text = op_in["src"].read_text() if op_in["src"] is not None else ""
        Path("out.txt").write_text(f"{text}{op_in['x'] * 2}\n")
        return OPIO({"y": op_in["x"] * 2, "out": Path("out.txt")})


class Total(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"ys": list[int], "outs": Artifact(list[Path])})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"total": int, "text": str})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        text = "".join(p.read_text() for p in op_in["outs"])
        return OPIO({"total": sum(op_in["ys"]), "text": text})


def features_workflow() -> Workflow:
    """Most features in one workflow: slices with fan-in, when, keys, retries, DAG, script."""
    wf = Workflow("features", labels={"team": "chem"}, annotations={"note": "test"},
                  ttl_seconds_after_finished=600, pod_gc_strategy="OnPodSuccess", parallelism=4,
                  parameters={"n": 3})  # fmt: skip
    make = Step("make", PythonOPTemplate(Make, image="python:3.11"), parameters={"n": "{{workflow.parameters.n}}"})
    double = PythonOPTemplate(
        Double, slices=Slices(input_parameter=["x"], output_parameter=["y"], output_artifact=["out"]),
        retry_on_transient_error=3, retry_backoff=2.0, timeout=120, timeout_as_transient_error=True,
        requests={"cpu": "1", "memory": "1Gi"}, limits={"gpu": 1}, envs={"OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    fan = Step("fan", double, parameters={"x": [1, 2, 3]}, key="fan-{{item}}", continue_on_failed=True)
    total = Step(
        "total", PythonOPTemplate(Total), parameters={"ys": fan.outputs.parameters["y"]},
        artifacts={"outs": fan.outputs.artifacts["out"]}, when=f"{make.outputs.parameters['count']} > 0",
    )  # fmt: skip
    shell = ShellOPTemplate(
        "echo", image="alpine:3", script="echo {{inputs.parameters.msg}} > /tmp/msg.txt",
        inputs=Inputs(parameters={"msg": InputParameter()}),
        outputs=Outputs(parameters={"msg": OutputParameter(value_from_path="/tmp/msg.txt")}),
    )  # fmt: skip
    inner = DAG("inner", inputs=Inputs(parameters={"m": InputParameter(value="hi")}),
                outputs=Outputs(parameters={"said": OutputParameter()}))  # fmt: skip
    a = Task("a", shell, parameters={"msg": "{{inputs.parameters.m}}"})
    b = Task("b", shell, parameters={"msg": a.outputs.parameters["msg"]})
    inner.add([a, b])
    inner.outputs.parameters["said"].value_from_parameter = b.outputs.parameters["msg"]
    wf.add(make)
    wf.add([fan, Step("sub", inner, parameters={"m": "hello"})])
    wf.add(total)
    return wf


def recursive_workflow() -> Workflow:
    """A Steps template that calls itself until ``i`` reaches ``limit``."""
    loop = Steps("loop", inputs=Inputs(parameters={"i": InputParameter(), "limit": InputParameter(value=3)}))
    step = Step("double", PythonOPTemplate(Double), parameters={"x": "{{inputs.parameters.i}}"})
    again = Step(
        "again", loop, parameters={"i": step.outputs.parameters["y"], "limit": "{{inputs.parameters.limit}}"},
        when="{{steps.double.outputs.parameters.y}} < {{inputs.parameters.limit}}",
    )  # fmt: skip
    loop.add(step)
    loop.add(again)
    wf = Workflow("recursive", steps=loop, parameters={"i": 1})
    return wf
