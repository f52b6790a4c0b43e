"""Typed parameters decode and untyped ones stay strings in records read back from Argo, as locally.

The compiler writes dflow's ``{"type": ...}`` description on typed parameters (dflow's
``convert_to_argo`` in ``dflow/io.py``); Argo keeps it on the node's inputs and outputs
(``SaveParameters``, workflow/executor/executor.go), and the status reader decodes by it.
"""

from __future__ import annotations

import cloudpickle
import pytest

from dflow_like import OutputParameter, ShellOPTemplate, Step, Workflow
from dflow_like.python import PythonOPTemplate

from . import gather_ops
from .controller import EmulatedArgo
from .harness import on_argo, on_local

pytestmark = pytest.mark.s3


def _workflow() -> Workflow:
    count = ShellOPTemplate(
        name="count", image="python:3.11", script="echo 42 > /tmp/n.txt && echo '[1, 2]' > /tmp/l.txt"
    )
    count.outputs.parameters = {
        "raw": OutputParameter(value_from_path="/tmp/n.txt"),
        "typed": OutputParameter(value_from_path="/tmp/n.txt", type=int),
        "pair": OutputParameter(value_from_path="/tmp/l.txt"),
    }
    wf = Workflow(name="types")
    s0 = Step("count", count)
    s1 = Step(
        "twice", PythonOPTemplate(gather_ops.twice, image="python:3.11"), parameters={"n": s0.outputs.parameters["raw"]}
    )
    wf.add(s0)
    wf.add(s1)
    return wf


def _values(wf: Workflow) -> tuple[object, ...]:
    out = wf.query_step(name="count")[0].outputs.parameters
    twice = wf.query_step(name="twice")[0]
    return (
        out["raw"].value,
        out["typed"].value,
        out["pair"].value,
        twice.inputs.parameters["n"].value,
        twice.outputs.parameters["n"].value,
    )


def test_untyped_values_stay_strings_and_typed_ones_decode_as_locally(argo: EmulatedArgo) -> None:
    remote = _workflow()
    assert on_argo(argo, remote) == "Succeeded", argo.logs(str(remote.id))
    cloudpickle.register_pickle_by_value(gather_ops)
    local = _workflow()
    assert on_local(local) == "Succeeded"
    expected = ("42", 42, "[1, 2]", 42, 84)
    assert _values(local) == expected
    assert _values(remote) == expected


def test_typed_parameters_carry_dflows_description() -> None:
    manifest = _workflow().to_dict()
    templates = {t["name"]: t for t in manifest["spec"]["templates"]}
    outs = {p["name"]: p for p in templates["count"]["outputs"]["parameters"]}
    assert outs["typed"]["description"] == '{"type": "int"}'
    assert "description" not in outs["raw"]
    twice = next(t for n, t in templates.items() if n.startswith("twice"))
    ins = {p["name"]: p for p in twice["inputs"]["parameters"]}
    assert ins["n"]["description"] == '{"type": "int"}'
    assert "description" not in ins["dflow_key"]
