"""``help()`` is enough to use the public objects: every argument and every record type is described."""

from __future__ import annotations

import inspect

import pytest

from dflow_like import Step, StepRecord, Workflow
from dflow_like.python import Slices


@pytest.mark.parametrize("cls", [Step, Slices])
def test_every_constructor_argument_is_described(cls: type) -> None:
    doc = inspect.getdoc(cls) or ""
    arguments = [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "kwargs")]
    missing = [name for name in arguments if f"{name}:" not in doc and f"{name}," not in doc]
    assert not missing, f"help({cls.__name__}) does not describe {missing}"


def test_step_record_types_and_phases_are_described() -> None:
    doc = inspect.getdoc(StepRecord) or ""
    for word in ("Pod", "StepGroup", "Steps", "DAG", "Skipped", "Retry", "Omitted", "Error", "queued", "duration"):
        assert word in doc, word


def test_query_message_and_global_outputs_say_what_they_return() -> None:
    message = inspect.getdoc(Workflow.query_message) or ""
    assert "failed" in message and "step" in message
    outputs = inspect.getdoc(Workflow.query_global_outputs) or ""
    for phrase in ('"parameters"', '"artifacts"', "output_parameter_global_name", "global_name", "download_artifact"):
        assert phrase in outputs, phrase
