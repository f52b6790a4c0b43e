"""``expr/references.py``: the one parser of ``{{...}}`` references."""

from __future__ import annotations

import pytest

from dflow_like.expr import ExpressionError
from dflow_like.expr.references import artifact_reference, output_reference, tags, whole_reference


def test_a_tag_ends_at_the_first_closing_braces() -> None:
    assert tags("a{{x}}b{{=1 + 2}}") == [(1, 6, "x"), (7, 17, "=1 + 2")]
    with pytest.raises(ExpressionError, match="unclosed '\\{\\{' at position 3"):
        tags("ab {{x")
    assert tags("ab {{x", strict=False) == []


def test_a_whole_reference_is_one_tag_and_nothing_else() -> None:
    assert whole_reference(" {{ steps.a.outputs.parameters.x }} ") == ("steps", "a", "outputs", "parameters", "x")
    assert whole_reference("{{a}}{{b}}") is None
    assert whole_reference("x{{a}}") is None
    assert whole_reference("{{=a}}") is None


def test_output_and_artifact_references() -> None:
    assert output_reference("{{tasks.t-1.outputs.parameters.y}}", "parameters") == ("tasks", "t-1", "y")
    assert output_reference("{{tasks.t-1.outputs.parameters.y}}", "artifacts") is None
    assert artifact_reference("{{steps.a.outputs.artifacts.out}}") == ("steps", "a", "out")
    assert artifact_reference("{{inputs.artifacts.data}}") == (None, None, "data")
    assert artifact_reference("{{inputs.parameters.data}}") is None
