"""Bad workflows fail before anything runs, naming workflow, step, field, expected and actual."""

from __future__ import annotations

import warnings

import pytest

from dflow_like import DAG, DefinitionError, Step, Steps, Task, Workflow, list_workflows
from dflow_like.graph.names import ArgoNameWarning
from dflow_like.python import PythonOPTemplate, Slices
from tests.ops_for_tests import Hello, Join, Shout


def hello(name: str = "hello", **params: object) -> Step:
    return Step(name, PythonOPTemplate(Hello), parameters={"name": "world", **params})


def test_wrong_parameter_type() -> None:
    with pytest.raises(DefinitionError) as err:
        Step("shout", PythonOPTemplate(Shout), parameters={"text": "a", "times": "3"})
    message = str(err.value)
    assert "step 'shout'" in message and "'times'" in message and "expected int" in message and "str '3'" in message


def test_unknown_input_name() -> None:
    with pytest.raises(DefinitionError, match=r"step 'hello' .*unknown input parameter 'nmae' .*declares: name"):
        Step("hello", PythonOPTemplate(Hello), parameters={"nmae": "x"})
    with pytest.raises(DefinitionError, match="unknown input artifact 'fiel'"):
        Step("shout", PythonOPTemplate(Shout), parameters={"text": "a"}, artifacts={"fiel": None})


def test_missing_required_input_is_caught_at_submit() -> None:
    wf = Workflow("missing")
    wf.add(Step("shout", PythonOPTemplate(Shout), parameters={"text": "a"}))
    with pytest.raises(DefinitionError) as err:
        wf.submit()
    message = str(err.value)
    assert "workflow 'missing'" in message and "step 'shout'" in message and "artifact 'file'" in message
    assert list_workflows() == []  # nothing ran


def test_duplicate_step_names() -> None:
    wf = Workflow("dupes")
    wf.add(hello("a"))
    wf.add([hello("b"), hello("a")])
    with pytest.raises(DefinitionError, match=r"(?s)workflow 'dupes'.*duplicate step name 'a'"):
        wf.submit()


def test_reference_to_a_step_not_in_the_workflow() -> None:
    outsider = hello("outsider")
    wf = Workflow("orphans")
    wf.add(
        Step(
            "shout",
            PythonOPTemplate(Shout),
            parameters={"text": outsider.outputs.parameters["greeting"]},
            artifacts={"file": outsider.outputs.artifacts["file"]},
        )
    )
    with pytest.raises(DefinitionError) as err:
        wf.submit()
    assert "step 'shout'" in str(err.value) and "no step 'outsider'" in str(err.value)


def test_reference_to_a_later_stage() -> None:
    first, later = hello("first"), hello("later")
    shout = Step(
        "shout",
        PythonOPTemplate(Shout),
        parameters={"text": "x"},
        artifacts={"file": later.outputs.artifacts["file"]},
    )
    wf = Workflow("order")
    wf.add(first)
    wf.add(shout)
    wf.add(later)
    with pytest.raises(DefinitionError, match="step 'later' is not in an earlier stage"):
        wf.submit()


def test_dag_cycle() -> None:
    dag = DAG("loop")
    a = Task("a", PythonOPTemplate(Hello), parameters={"name": "x"}, dependencies=["c"])
    b = Task(
        "b",
        PythonOPTemplate(Shout),
        parameters={"text": a.outputs.parameters["greeting"]},
        artifacts={"file": a.outputs.artifacts["file"]},
    )
    c = Task(
        "c",
        PythonOPTemplate(Shout),
        parameters={"text": b.outputs.parameters["text"]},
        artifacts={"file": b.outputs.artifacts["file"]},
    )
    dag.add([a, b, c])
    with pytest.raises(DefinitionError, match=r"dependency cycle (a|b|c) -> "):
        Workflow("cyclic", dag=dag).submit()


def test_unknown_output_name_in_a_reference() -> None:
    a = hello("a")
    wf = Workflow("typo")
    wf.add(a)
    wf.add(
        Step(
            "join",
            PythonOPTemplate(Join),
            parameters={"left": "x", "right": "{{steps.a.outputs.parameters.greting}}"},
            artifacts={"files": a.outputs.artifacts["file"]},
        )
    )
    with pytest.raises(DefinitionError, match="step 'a' has no output parameter 'greting' \\(it has: greeting\\)"):
        wf.submit()


def test_when_that_does_not_parse() -> None:
    with pytest.raises(DefinitionError, match="step 'hello'"):
        Step(
            "hello",
            PythonOPTemplate(Hello),
            parameters={"name": "x"},
            when="{{inputs.parameters.x}} <",
        )


def test_steps_template_input_reference_must_exist() -> None:
    steps = Steps("inner")
    steps.add(Step("hello", PythonOPTemplate(Hello), parameters={"name": "{{inputs.parameters.who}}"}))
    with pytest.raises(DefinitionError, match="template 'inner' has no input parameter 'who'"):
        Workflow("inputs", steps=steps).submit()


def test_a_slices_name_that_is_not_an_input_is_named_as_such() -> None:
    """Not "parameter 'name': expected str, got list" (a type error of another field)."""
    sliced = PythonOPTemplate(Hello, slices=Slices(input_parameter=["Name"]))
    with pytest.raises(DefinitionError) as err:
        Step("hello", sliced, parameters={"name": ["a", "b"]})
    assert str(err.value) == (
        "step 'hello' (template 'hello'): Slices input_parameter names 'Name', which is not an input parameter "
        "of template 'hello' (did you mean 'name'?); its input parameters: name"
    )
    wrong_kind = PythonOPTemplate(Shout, slices=Slices(input_parameter=["text"], output_artifact=["text"]))
    with pytest.raises(DefinitionError, match=r"output_artifact names 'text'.*it is an output parameter: list it in "):
        Step("shout", wrong_kind, parameters={"text": ["a"]}, artifacts={"file": None})


@pytest.mark.parametrize("name", ["my_step", "-lead", "dot.ted", "x" * 129])
def test_step_names_argo_would_refuse_warn_when_built(name: str) -> None:
    with pytest.warns(ArgoNameWarning, match="Argo Workflows would refuse this name") as caught:
        hello(name)
    assert caught[0].filename == __file__  # points at the user's line, not the library's
    with pytest.warns(ArgoNameWarning, match=r"^task '"):
        Task(name, PythonOPTemplate(Hello), parameters={"name": "x"})


def test_valid_step_names_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hello("Step-1")
        Task("9lives", PythonOPTemplate(Hello), parameters={"name": "x"})


def test_unknown_output_name_on_a_step_names_the_step_and_kind() -> None:
    """``a.outputs.parameters["greting"]`` fails where it is written, as the validator words it."""
    a = hello("a")
    with pytest.raises(
        KeyError, match=r"step 'a' has no output parameter 'greting' \(did you mean 'greeting'\?\) \(it has: greeting\)"
    ):
        a.outputs.parameters["greting"]
    with pytest.raises(
        KeyError, match=r"step 'a' has no output artifact 'files' \(did you mean 'file'\?\) \(it has: file\)"
    ):
        a.outputs.artifacts["files"]


def test_a_sliced_list_with_an_item_of_the_wrong_type_is_refused_before_anything_runs() -> None:
    """Each item of a sliced list is one input of the OP: a wrong one failed only in its own
    step, after the others ran; now the step is refused, naming the item."""
    sliced = PythonOPTemplate(Shout, slices=Slices(input_parameter=["times"], output_parameter=["text"]))
    with pytest.raises(DefinitionError) as err:
        Step("shout", sliced, parameters={"text": "a", "times": [1, 2, "3"]})
    message = str(err.value)
    assert "step 'shout'" in message and "'times'" in message and "item 2 should be int" in message
    assert "got str '3'" in message
    Step("shout", sliced, parameters={"text": "a", "times": [1, 2, "{{item}}"]})  # text for the engine: not judged


def test_an_artifact_given_as_a_parameter_says_where_it_belongs() -> None:
    with pytest.raises(
        DefinitionError, match=r"unknown input parameter 'file' .*'file' is an input artifact: pass it in artifacts="
    ):
        Step("shout", PythonOPTemplate(Shout), parameters={"text": "a", "file": "x.txt"})
    with pytest.raises(
        DefinitionError, match=r"unknown input artifact 'text' .*'text' is an input parameter: pass it in parameters="
    ):
        Step("shout", PythonOPTemplate(Shout), artifacts={"text": None})


def test_literal_sliced_lists_of_different_lengths_are_refused_when_the_step_is_made() -> None:
    """They failed when the step started (``SliceError``), after the steps before it ran."""
    sliced = PythonOPTemplate(Shout, slices=Slices(input_parameter=["text", "times"], output_parameter=["text"]))
    with pytest.raises(DefinitionError) as err:
        Step("shout", sliced, parameters={"text": ["a", "b", "c"], "times": [1, 2]})
    message = str(err.value)
    assert "step 'shout'" in message and "parameter 'text' has 3, parameter 'times' has 2" in message
    Step("shout", sliced, parameters={"text": ["a", "b", "c"], "times": [1, 2]}, with_param=[0, 1])  # items chosen
