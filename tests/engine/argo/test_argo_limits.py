"""Argo's size limits known before submit (issue 18).

``lint()`` and ``submit()`` warn, naming the step; ``submit()`` refuses what the API server would."""

from __future__ import annotations

import json
import warnings

import pytest

from dflow_like import InputParameter, Inputs, ShellOPTemplate, Step, Workflow, argo_sequence, config
from dflow_like.engine.argo.limits import ArgoLimitError, ArgoLimitWarning, limit_warnings, loop_count
from dflow_like.python import OP, OPIO, OPIOSign, PythonOPTemplate, Slices
from tests.engine.argo.argo_double import running_double


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


# --- at submit: the Argo backend warns (a category the user can filter) or refuses ----------


def _echo(name: str, text: str, **loop: object) -> Step:
    template = ShellOPTemplate(
        "echo", image="alpine", script="echo {{inputs.parameters.text}}",
        inputs=Inputs(parameters={"text": InputParameter()}),
    )  # fmt: skip
    return Step(name, template, parameters={"text": text}, **loop)


def test_submit_warns_of_a_large_parameter_and_too_many_nodes_and_still_submits() -> None:
    wf = Workflow("limits")
    wf.add(_echo("big", "x" * 300_000))
    wf.add(_echo("many", "y", with_sequence=argo_sequence(60_000)))
    with running_double() as double:
        config.update(host=double.url, token=double.token, namespace="argo", verify_ssl=False, mode="argo")
        with pytest.warns(ArgoLimitWarning) as caught:
            wf.submit()
        assert len(double.workflows) == 1
    messages = [str(w.message) for w in caught if w.category is ArgoLimitWarning]
    assert len(messages) == 2
    param, nodes = messages
    assert param.startswith("workflow 'limits': template 'limits', step 'big': parameter 'text' is 293 KB inline")
    assert "over the 256 KB Argo keeps of a parameter" in param and "upload_artifact" in param
    assert "about 60,00" in nodes and "step 'many': 60,001 nodes" in nodes and "group_size" in nodes
    assert all(w.filename == __file__ for w in caught)  # points at the user's submit() call


def test_submit_refuses_a_manifest_the_api_server_refuses_and_creates_nothing() -> None:
    wf = Workflow("huge")
    for i in range(14):
        wf.add(_echo(f"echo{i}", "x" * 250_000))
    with running_double() as double:
        config.update(host=double.url, token=double.token, namespace="argo", verify_ssl=False, mode="argo")
        with pytest.raises(ArgoLimitError, match=r"workflow 'huge': not submitted: the manifest is 3\.5 MB: the API"):
            wf.submit()
        assert double.workflows == {}


def test_limit_warnings_at_submit_can_be_made_errors() -> None:
    wf = Workflow("strict")
    wf.add(_echo("many", "y", with_sequence=argo_sequence(60_000)))
    with running_double() as double:
        config.update(host=double.url, token=double.token, namespace="argo", verify_ssl=False, mode="argo")
        with warnings.catch_warnings():
            warnings.simplefilter("error", ArgoLimitWarning)
            with pytest.raises(ArgoLimitWarning, match="step 'many'"):
                wf.submit()
        assert double.workflows == {}


def test_a_small_workflow_submits_without_limit_warnings() -> None:
    wf = Workflow("small")
    wf.add(_echo("one", "y", with_sequence=argo_sequence(10)))
    with running_double() as double:
        config.update(host=double.url, token=double.token, namespace="argo", verify_ssl=False, mode="argo")
        with warnings.catch_warnings():
            warnings.simplefilter("error", ArgoLimitWarning)
            wf.submit()
        assert len(double.workflows) == 1
