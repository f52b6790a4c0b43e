"""OPs, signatures and @OP.function, outside any workflow."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, TypedDict

import pytest

from dflow_like.python import (
    OP,
    OPIO,
    Artifact,
    OPIOSign,
    Parameter,
    PythonOPTemplate,
    SignatureError,
)
from tests.ops_for_tests import Fail, Forgetful, Hello, Shout


def test_exec_sign_check_names_op_field_expected_and_actual(tmp_path: Path) -> None:
    with pytest.raises(SignatureError) as err:
        Fail().execute(OPIO({"x": "three"}))
    message = str(err.value)
    assert "OP Fail" in message and "'x'" in message and "expected int" in message and "str 'three'" in message


def test_missing_and_unknown_inputs_are_reported() -> None:
    with pytest.raises(SignatureError, match="'name' is declared in the input sign but not passed"):
        Hello().execute(OPIO({}))
    with pytest.raises(SignatureError, match="'nmae' is not declared in the input sign"):
        Hello().execute(OPIO({"name": "a", "nmae": "b"}))


def test_output_the_op_did_not_produce_is_reported() -> None:
    with pytest.raises(SignatureError, match="output 'z' is declared in the output sign but not returned"):
        Forgetful().execute(OPIO({}))


def test_defaults_are_filled_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.txt").write_text("hi")
    out = Shout().execute(OPIO({"text": "a", "file": tmp_path / "in.txt"}))
    assert out["text"] == "A" and Path(out["file"]).read_text() == "HI"


def test_function_op_is_a_plain_function_outside_a_workflow() -> None:
    @OP.function
    def add(a: int, b: int = 2) -> {"sum": int}:  # type: ignore[valid-type]
        return {"sum": a + b}

    assert add(1) == {"sum": 3}
    assert add(a=1, b=5) == {"sum": 6}
    assert dict(add.get_input_sign())["a"] is int
    assert isinstance(add.get_input_sign()["b"], Parameter) and add.get_input_sign()["b"].default == 2
    assert dict(add.get_output_sign()) == {"sum": int}
    assert dict(add.execute(OPIO({"a": 4}))) == {"sum": 6}
    with pytest.raises(SignatureError, match="OP add: input parameter 'a': expected int"):
        add.execute(OPIO({"a": "4"}))


class Out(TypedDict):
    x: int


class Pair(NamedTuple):
    left: str
    right: str


def test_function_op_return_annotations() -> None:
    @OP.function
    def typed() -> Out:
        return {"x": 1}

    @OP.function
    def pair() -> Pair:
        return Pair("l", "r")

    @OP.function
    def single(path: Artifact(Path)) -> int:  # type: ignore[valid-type]
        return 7

    assert dict(typed.execute(OPIO({}))) == {"x": 1}
    assert dict(pair.execute(OPIO({}))) == {"left": "l", "right": "r"}
    assert isinstance(single.get_input_sign()["path"], Artifact)
    assert list(single.get_output_sign()) == ["dflow_output"]


def test_template_exposes_the_signature_as_inputs_and_outputs() -> None:
    template = PythonOPTemplate(Shout, image="python:3.11")
    assert template.name == "shout"
    assert set(template.inputs.parameters) == {"text", "times"}
    assert template.inputs.parameters["times"].value == 1
    assert set(template.inputs.artifacts) == {"file"}
    assert set(template.outputs.parameters) == {"text"} and set(template.outputs.artifacts) == {"file"}


def test_template_rejects_a_non_op() -> None:
    with pytest.raises(TypeError, match="op_class must be an OP subclass"):
        PythonOPTemplate(dict)


def test_opio_and_sign_behave_as_mappings() -> None:
    sign = OPIOSign({"a": int})
    sign["b"] = Artifact(Path)
    assert list(sign) == ["a", "b"] and len(sign) == 2
    opio = OPIO(a=1)
    del opio["a"]
    assert dict(opio) == {}
