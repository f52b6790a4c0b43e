"""Misspelled keyword arguments are refused with the nearest valid name, never dropped."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dflow_like import (
    DAG,
    DefinitionError,
    InputArtifact,
    InputParameter,
    OutputArtifact,
    OutputParameter,
    ShellOPTemplate,
    Step,
    Steps,
    Task,
    Workflow,
)
from dflow_like.graph.errors import UnknownArgumentError
from dflow_like.python import Artifact, BigParameter, Parameter, PythonOPTemplate, Slices
from tests.ops_for_tests import Hello

TYPO_CASES: list[tuple[str, Callable[[], Any], str, str]] = [
    ("Step", lambda: Step("s", PythonOPTemplate(Hello), continue_on_fialed=True), "step 's'", "continue_on_failed"),
    ("Task", lambda: Task("t", PythonOPTemplate(Hello), dependecies=["a"]), "task 't'", "dependencies"),
    ("Workflow", lambda: Workflow("w", paralelism=2), "workflow 'w'", "parallelism"),
    ("Slices", lambda: Slices(input_paramter=["x"]), "Slices", "input_parameter"),
    ("Parameter", lambda: Parameter(int, defualt=1), "Parameter", "default"),
    ("BigParameter", lambda: BigParameter(int, defualt=1), "BigParameter", "default"),
    ("Artifact", lambda: Artifact(Path, optinal=True), "Artifact", "optional"),
    ("InputParameter", lambda: InputParameter(valeu=1), "InputParameter", "value"),
    ("InputArtifact", lambda: InputArtifact(optinal=True), "InputArtifact", "optional"),
    ("OutputParameter", lambda: OutputParameter(value_from_pth="x"), "OutputParameter", "value_from_path"),
    ("OutputArtifact", lambda: OutputArtifact(pth="x"), "OutputArtifact", "path"),
    ("PythonOPTemplate", lambda: PythonOPTemplate(Hello, retry_on_transient_eror=2), "PythonOPTemplate(Hello)",
     "retry_on_transient_error"),
    ("Steps", lambda: Steps("x", paralelism=1), "Steps 'x'", "parallelism"),
    ("DAG", lambda: DAG("d", tsks=[]), "DAG 'd'", "tasks"),
    ("ShellOPTemplate", lambda: ShellOPTemplate("sh", scrpt="echo"), "ShellOPTemplate 'sh'", "script"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "build", "owner", "nearest"), TYPO_CASES, ids=[c[0] for c in TYPO_CASES])
def test_a_misspelled_keyword_is_refused_with_the_nearest_name(
    kind: str, build: Callable[[], Any], owner: str, nearest: str
) -> None:
    with pytest.raises(UnknownArgumentError) as err:
        build()
    message = str(err.value)
    assert message.startswith(f"{owner}: unknown keyword argument ")
    assert f"(did you mean {nearest!r}?)" in message and "expected one of: " in message
    assert isinstance(err.value, TypeError) and isinstance(err.value, DefinitionError)  # either except clause works


def test_a_name_far_from_any_gets_the_list_without_a_guess() -> None:
    with pytest.raises(UnknownArgumentError, match=r"unknown keyword argument 'banana'; expected one of: .*when"):
        Step("s", PythonOPTemplate(Hello), banana=1)


def test_dflow_arguments_without_effect_here_are_still_accepted() -> None:
    """dflow programs pass these; they are kept in ``extra``, not refused."""
    step = Step("s", PythonOPTemplate(Hello), util_image="alpine", success_hook=None)
    assert step.extra == {"util_image": "alpine", "success_hook": None}
    assert Workflow("w", namespace="argo", context=None).extra == {"namespace": "argo", "context": None}
    assert Slices(input_parameter=["x"], shuffle=True, pool_timeout=5).extra == {"shuffle": True, "pool_timeout": 5}
    assert Parameter(int, description="n").extra == {"description": "n"}
    assert OutputArtifact(path="x", step=None).extra == {"step": None}
