"""Slices, with_param, with_sequence and the fan-out expressions."""

from __future__ import annotations

from pathlib import Path

import pytest

from dflow_like import (
    InputParameter,
    Inputs,
    OutputParameter,
    Outputs,
    Step,
    Steps,
    Workflow,
    argo_len,
    argo_range,
    argo_sequence,
    download_artifact,
)
from dflow_like.python import PythonOPTemplate, Slices

from .helpers import run
from .ops_control import Note, ReadOne, Square, Sum


def sliced_square(**slices: object) -> PythonOPTemplate:
    return PythonOPTemplate(Square, slices=Slices(**slices))  # type: ignore[arg-type]


def test_slices_gather_parameters_and_artifacts_in_item_order(tmp_path: Path) -> None:
    wf = Workflow("fan")
    sq = Step(
        "sq",
        sliced_square(input_parameter=["x"], output_parameter=["y"], output_artifact=["out"]),
        parameters={"x": [3, 1, 2, 5, 4]},
    )
    wf.add(sq)
    wf.add(
        Step(
            "sum",
            PythonOPTemplate(Sum),
            parameters={"values": sq.outputs.parameters["y"]},
            artifacts={"files": sq.outputs.artifacts["out"]},
        )
    )
    assert run(wf) == "Succeeded"
    group = wf.query_step(name="sq", type="StepGroup")[0]
    assert group.outputs.parameters["y"].value == [9, 1, 4, 25, 16]
    items = [r.name for r in wf.query_step(name="sq", type="Pod")]
    assert sorted(items) == sorted(f"sq({i}:{i})" for i in range(5))
    total = wf.query_step(name="sum")[0].outputs.parameters
    assert total["total"].value == 55 and total["from_files"].value == 55
    paths = download_artifact(group.outputs.artifacts["out"], path=tmp_path)
    assert paths == [str(tmp_path / f"sq{x}.txt") for x in (3, 1, 2, 5, 4)]  # distinct names: merged, as dflow
    assert download_artifact(group.outputs.artifacts["out"], path=tmp_path / "one", slice=3)[0].endswith("sq5.txt")


def test_with_param_argo_range_and_item_expression() -> None:
    wf = Workflow("withparam")
    wf.add(
        Step(
            "sq",
            sliced_square(slices="{{item}}", input_parameter=["x"], output_parameter=["y"]),
            parameters={"x": [10, 20, 30, 40]},
            with_param=argo_range(1, 4),
        )
    )
    assert run(wf) == "Succeeded"
    assert wf.query_step(name="sq", type="StepGroup")[0].outputs.parameters["y"].value == [400, 900, 1600]


def test_with_param_values_are_the_indices_without_a_slices_expression() -> None:
    """dflow's ``Slices`` defaults ``slices`` to ``"{{item}}"`` (``Slices.__init__``,
    dflow/python/python_op_template.py) and its pod takes ``obj[slices]``
    (``handle_input_parameter``, dflow/python/utils.py): the item's value, not its place."""
    wf = Workflow("byvalue")
    x = list(range(10, 20))
    wf.add(Step("sq", sliced_square(input_parameter=["x"], output_parameter=["y"]), parameters={"x": x},
                with_param=[3, 5, 7]))  # fmt: skip
    wf.add(Step("seq", sliced_square(input_parameter=["x"], output_parameter=["y"]), parameters={"x": x},
                with_sequence=argo_sequence(start=8, count=2)))  # fmt: skip
    wf.add(Step("items", sliced_square(input_parameter=["x"], output_parameter=["y"]), parameters={"x": x},
                with_items=["9", 0]))  # fmt: skip
    assert run(wf) == "Succeeded"
    assert wf.query_step(name="sq", type="StepGroup")[0].outputs.parameters["y"].value == [13**2, 15**2, 17**2]
    assert wf.query_step(name="seq", type="StepGroup")[0].outputs.parameters["y"].value == [18**2, 19**2]
    assert wf.query_step(name="items", type="StepGroup")[0].outputs.parameters["y"].value == [19**2, 10**2]


def test_a_with_param_item_that_is_no_index_is_refused_naming_the_step() -> None:
    wf = Workflow("noindex")
    wf.add(Step("sq", sliced_square(input_parameter=["x"], output_parameter=["y"]), parameters={"x": [1, 2]},
                with_param=["a", "b"]))  # fmt: skip
    assert run(wf) == "Failed"
    messages = [r.message for r in wf.query_step(name="sq", type="Pod")]
    assert messages and all("step 'sq'" in m and "not an index" in m and "argo_range" in m for m in messages)


def test_with_param_from_another_steps_output_and_argo_len() -> None:
    wf = Workflow("dyn")
    first = Step("first", sliced_square(input_parameter=["x"], output_parameter=["y"]), parameters={"x": [1, 2, 3]})
    wf.add(first)
    wf.add(
        Step(
            "again",
            sliced_square(slices="{{item}}", input_parameter=["x"], output_parameter=["y"]),
            parameters={"x": first.outputs.parameters["y"]},
            with_param=argo_range(argo_len(first.outputs.parameters["y"])),
        )
    )
    assert run(wf) == "Succeeded"
    assert wf.query_step(name="again", type="StepGroup")[0].outputs.parameters["y"].value == [1, 16, 81]


def test_with_sequence_and_plain_with_param() -> None:
    wf = Workflow("seq")
    wf.add(
        Step("sq", PythonOPTemplate(Square), parameters={"x": "{{item}}"}, with_sequence=argo_sequence(start=2, end=4))
    )
    wf.add(Step("sq2", PythonOPTemplate(Square), parameters={"x": "{{item}}"}, with_param=[7, 8]))
    assert run(wf) == "Succeeded"
    assert wf.query_step(name="sq", type="StepGroup")[0].outputs.parameters["y"].value == [4, 9, 16]
    assert wf.query_step(name="sq2", type="StepGroup")[0].outputs.parameters["y"].value == [49, 64]


def test_sub_path_gives_each_item_only_its_own_file() -> None:
    wf = Workflow("subpath")
    make = Step("make", sliced_square(input_parameter=["x"], output_artifact=["out"]), parameters={"x": [1, 2, 3]})
    wf.add(make)
    read = Step(
        "read",
        PythonOPTemplate(
            ReadOne, slices=Slices(sub_path=True, input_artifact=["file"], output_parameter=["text", "siblings"])
        ),
        artifacts={"file": make.outputs.artifacts["out"]},
    )
    wf.add(read)
    assert run(wf) == "Succeeded"
    out = wf.query_step(name="read", type="StepGroup")[0].outputs.parameters
    assert out["text"].value == ["1", "4", "9"]
    assert out["siblings"].value == [1, 1, 1]  # no item received another item's file


def test_nested_fan_out_a_sliced_step_inside_a_sliced_steps() -> None:
    inner = Steps(
        "inner",
        inputs=Inputs(parameters={"base": InputParameter()}),
        outputs=Outputs(parameters={"ys": OutputParameter()}),
    )
    sq = Step(
        "sq",
        PythonOPTemplate(Square),
        parameters={"x": "{{item}}"},
        with_param=argo_range(inner.inputs.parameters["base"]),
    )
    inner.add(sq)
    inner.outputs.parameters["ys"].value_from_parameter = sq.outputs.parameters["y"]
    wf = Workflow("nested")
    wf.add(Step("outer", inner, parameters={"base": "{{item}}"}, with_param=[2, 3]))
    assert run(wf) == "Succeeded"
    assert wf.query_step(name="outer", type="StepGroup")[0].outputs.parameters["ys"].value == [[0, 1], [0, 1, 4]]


def test_slices_input_that_is_not_a_list_is_a_clear_error() -> None:
    wf = Workflow("notalist")
    first = Step("first", PythonOPTemplate(Square), parameters={"x": 3})
    wf.add(first)
    wf.add(Step("sq", sliced_square(input_parameter=["x"]), parameters={"x": first.outputs.parameters["y"]}))
    assert run(wf) == "Failed"
    message = wf.query_step(name="sq")[0].message
    assert "step 'sq'" in message and "'x' must be a list" in message and "int" in message


def test_slices_literal_that_is_not_a_list_fails_at_build_time() -> None:
    with pytest.raises(ValueError, match=r"step 'sq'.*parameter 'x' is sliced, so it must be a list"):
        Step("sq", sliced_square(input_parameter=["x"]), parameters={"x": 3})


def test_unequal_slice_lengths_are_a_clear_error() -> None:
    wf = Workflow("unequal")
    template = PythonOPTemplate(Sum, slices=Slices(input_parameter=["values"], input_artifact=["files"]))
    make = Step("make", sliced_square(input_parameter=["x"], output_artifact=["out"]), parameters={"x": [1, 2]})
    wf.add(make)
    wf.add(
        Step(
            "sum", template, parameters={"values": [[1], [2], [3]]}, artifacts={"files": make.outputs.artifacts["out"]}
        )
    )
    assert run(wf) == "Failed"
    message = wf.query_step(name="sum")[0].message
    assert "step 'sum'" in message and "unequal lengths" in message and "parameter 'values' has 3" in message


def test_items_writing_the_same_file_all_survive_a_download(tmp_path: Path) -> None:
    """The README's example: each item writes note.txt; each lands under its item position."""
    wf = Workflow("notes")
    slices = Slices(input_parameter=["x"], output_parameter=["y"], output_artifact=["note"])
    template = PythonOPTemplate(Note, slices=slices)
    wf.add(Step("sq", template, parameters={"x": [1, 2, 3]}))
    assert run(wf) == "Succeeded"
    group = wf.query_step(name="sq", type="StepGroup")[0]
    paths = download_artifact(group.outputs.artifacts["note"], path=tmp_path)
    assert paths == [str(tmp_path / str(i) / "note.txt") for i in range(3)]
    assert [Path(p).read_text() for p in paths] == ["1^2", "2^2", "3^2"]
    (one,) = download_artifact(group.outputs.artifacts["note"], path=tmp_path / "one", slice=1)
    assert one == str(tmp_path / "one" / "note.txt") and Path(one).read_text() == "2^2"


def test_create_dir_puts_every_item_under_its_position(tmp_path: Path) -> None:
    """dflow's Slices(create_dir=True): item i's files under i/ even when names differ."""
    wf = Workflow("dirs")
    template = sliced_square(input_parameter=["x"], output_artifact=["out"], create_dir=True)
    sq = Step("sq", template, parameters={"x": [3, 1]})
    wf.add(sq)
    files = {"files": sq.outputs.artifacts["out"]}
    wf.add(Step("sum", PythonOPTemplate(Sum), parameters={"values": [0]}, artifacts=files))
    assert run(wf) == "Succeeded"
    group = wf.query_step(name="sq", type="StepGroup")[0]
    paths = download_artifact(group.outputs.artifacts["out"], path=tmp_path)
    assert paths == [str(tmp_path / "0" / "sq3.txt"), str(tmp_path / "1" / "sq1.txt")]
    assert wf.query_step(name="sum")[0].outputs.parameters["from_files"].value == 10  # a step sees the same


def test_an_empty_slice_list_succeeds_with_empty_outputs(tmp_path: Path) -> None:
    """No KeyError: the declared outputs exist (empty) and a consumer of them runs."""
    wf = Workflow("none")
    sq = Step(
        "sq",
        sliced_square(input_parameter=["x"], output_parameter=["y"], output_artifact=["out"]),
        parameters={"x": []},
    )
    wf.add(sq)
    files = {"files": sq.outputs.artifacts["out"]}
    wf.add(Step("sum", PythonOPTemplate(Sum), parameters={"values": sq.outputs.parameters["y"]}, artifacts=files))
    assert run(wf) == "Succeeded"
    group = wf.query_step(name="sq", type="StepGroup")[0]
    assert group.outputs.parameters["y"].value == []
    assert download_artifact(group.outputs.artifacts["out"], path=tmp_path) == []
    assert wf.query_step(name="sum")[0].outputs.parameters["total"].value == 0
