"""Argo's size limits known before submit (issue 18): ``Workflow.lint()`` warns, naming the step."""

from __future__ import annotations

import json

from dflow_like import Step, Workflow
from dflow_like.engine.argo.limits import limit_warnings, loop_count
from dflow_like.python import OP, OPIO, OPIOSign, PythonOPTemplate, Slices


class Square(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": int})

    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"y": op_in["x"] ** 2})


class Echo(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"text": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"text": str})

    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"text": op_in["text"]})


def sliced(n: int) -> Workflow:
    template = PythonOPTemplate(
        Square, image="python:3.11", slices=Slices(input_parameter=["x"], output_parameter=["y"])
    )
    wf = Workflow("big")
    wf.add(Step("square", template, parameters={"x": list(range(n))}))
    return wf


def test_a_sliced_step_loops_over_a_count_not_an_inline_list() -> None:
    small, large = sliced(10).to_dict(), sliced(100_000).to_dict()
    (step,) = large["spec"]["templates"][0]["steps"][0]
    assert step["withParam"] == "{{=toJson(sprig.untilStep(0, 100000, 1))}}" and loop_count(step) == 100_000
    growth = len(json.dumps(large)) - len(json.dumps(small))
    values = len(json.dumps(json.dumps(list(range(100_000))))) - len(json.dumps(json.dumps(list(range(10)))))
    assert growth - values < 10  # only the user's own list grows the manifest (the loop adds 4 digits)


def test_lint_warns_of_a_large_inline_parameter_and_too_many_nodes() -> None:
    problems = sliced(100_000).lint()
    warnings = [p for p in problems if p.startswith("warning: ")]
    assert [p for p in problems if not p.startswith(("warning: ", "schema "))] == []
    param, nodes = warnings
    assert param.startswith("warning: template 'big', step 'square': parameter 'x' is 575 KB inline, over the 256 KB")
    assert "artifacts (upload_artifact) or BigParameter" in param and "with_param" in param
    assert nodes.startswith("warning: the workflow will have about 100,003 nodes (template 'big', step 'square'")
    assert "~50,000" in nodes and "group_size" in nodes


def test_lint_warns_of_a_manifest_the_api_server_refuses() -> None:
    wf = Workflow("huge")
    for i in range(14):
        wf.add(Step(f"echo{i}", PythonOPTemplate(Echo, image="python:3.11"), parameters={"text": "x" * 250_000}))
    warnings = [p for p in wf.lint() if p.startswith("warning: ")]
    assert warnings == [
        "warning: the manifest is 3.5 MB: the API server refuses it (over 3 MiB); Kubernetes accepts at most "
        "3 MiB per request and etcd stores at most 1.5 MiB per object by default: pass large inputs as artifacts "
        "(upload_artifact) or BigParameter, and slice a list from an artifact or a step output (Slices, with_param) "
        "instead of listing it inline"
    ]


def test_a_small_workflow_has_no_limit_warnings() -> None:
    assert limit_warnings(sliced(1000).to_dict()) == []


def test_inline_with_items_are_counted_and_measured() -> None:
    withitems = {"spec": {"entrypoint": "m", "templates": [
        {"name": "m", "steps": [[{"name": "fan", "template": "m2", "withItems": list(range(60_000))}]]},
        {"name": "m2", "container": {"image": "busybox"}},
    ]}}  # fmt: skip
    (items, nodes) = limit_warnings(withitems)
    assert items.startswith("warning: template 'm', step 'fan': its withItems list is 34")
    assert "about 60,003 nodes (template 'm', step 'fan': 60,001 nodes)" in nodes
