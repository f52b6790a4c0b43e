"""render / evaluate_when / template_references / check_syntax."""

from __future__ import annotations

import pytest

from dflow_like.expr import (
    ExpressionError,
    check_syntax,
    evaluate_when,
    render,
    template_references,
)

SCOPE = {
    "inputs": {"parameters": {"x": "5", "limit": "5", "name": "a b", "flag": "true"}},
    "steps": {
        "plus1": {"outputs": {"parameters": {"iter": "1"}}, "status": "Succeeded"},
        "flip-coin": {"outputs": {"result": "heads"}},
    },
    "tasks": {"t1": {"outputs": {"parameters": {"v": "[1, 2]"}}}},
    "item": {"b": 2, "a": [1, 2.0], "s": "text"},
    "workflow": {"name": "wf-abc", "parameters": {"g": "G"}},
}


def test_render_references() -> None:
    text = "{{inputs.parameters.x}}-{{ steps.plus1.outputs.parameters.iter }}-{{workflow.name}}"
    assert render(text, SCOPE) == "5-1-wf-abc"
    assert render("{{item.s}} {{item.b}}", SCOPE) == "text 2"
    assert render("{{item}}", SCOPE) == '{"b":2,"a":[1,2.0],"s":"text"}'  # compact, as given
    assert render("{{item.a}}", SCOPE) == "[1,2.0]"
    assert render("{{item}}", {"item": "plain"}) == "plain"
    assert render("{{a.b}}", {"a.b": "dotted key"}) == "dotted key"


def test_render_expressions_use_go_json_for_non_strings() -> None:
    assert render("{{=asFloat(inputs.parameters.x) + 1}}", SCOPE) == "6"
    assert render("{{=asFloat(inputs.parameters.x) / 2}}", SCOPE) == "2.5"
    assert render("{{=inputs.parameters.x == '5'}}", SCOPE) == "true"
    assert render("n={{=sprig.untilStep(0, 3, 1)}}", SCOPE) == "n=[0,1,2]"
    assert render("{{=inputs.parameters.name}}", SCOPE) == "a b"


def test_render_without_tags_is_identity() -> None:
    text = "no templates here { } }"
    assert render(text, {}) is text


def test_render_unknown_reference() -> None:
    with pytest.raises(ExpressionError) as info:
        render("value: {{inputs.parameters.nope}}", SCOPE)
    msg = str(info.value)
    assert "{{inputs.parameters.nope}}" in msg and "value: " in msg


def test_render_nil_expression_is_an_error() -> None:
    with pytest.raises(ExpressionError, match="evaluated to nil"):
        render("{{=inputs.parameters.nope}}", SCOPE)


def test_when_numbers_compare_as_numbers() -> None:
    when = "{{steps.plus1.outputs.parameters.iter}} < {{inputs.parameters.limit}}"
    assert evaluate_when(when, SCOPE) is True
    scope = {**SCOPE, "inputs": {"parameters": {"limit": "1"}}}
    assert evaluate_when(when, scope) is False
    # "10" < "9" as strings, but govaluate reads both as numbers
    assert evaluate_when("10 < 9", {}) is False


def test_when_bare_words_are_strings_like_argo() -> None:
    assert evaluate_when("{{steps.flip-coin.outputs.result}} == heads", SCOPE) is True
    assert evaluate_when("{{steps.flip-coin.outputs.result}} == tails", SCOPE) is False
    assert evaluate_when("'{{inputs.parameters.name}}' == 'a b'", SCOPE) is True
    assert evaluate_when("{{steps.plus1.status}} == Succeeded", SCOPE) is True
    assert evaluate_when("{{inputs.parameters.flag}}", SCOPE) is True
    assert evaluate_when("1 == '1'", {}) is False  # govaluate: different types


def test_when_logic_and_expressions() -> None:
    assert evaluate_when("{{inputs.parameters.x}} > 3 && heads != tails", SCOPE) is True
    assert evaluate_when("!(1 > 2) || false", {}) is True
    assert evaluate_when("{{=asFloat(steps.plus1.outputs.parameters.iter) < 5}}", SCOPE) is True
    assert evaluate_when("a in (a, b)", {}) is True
    assert evaluate_when("abc =~ '^a'", {}) is True
    assert evaluate_when("1 + 2 == 3", {}) is True


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("{{inputs.parameters.x}}", "Expected boolean"),
        ("heads < 3", "cannot be used with the comparator"),
        ("flip-coin == heads", "cannot be used with the modifier '-'"),
        ("a.b == c", "No parameter 'a' found"),
        ("1 <", "unexpected end"),
    ],
)
def test_when_errors(when: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        evaluate_when(when, SCOPE)


def test_template_references() -> None:
    text = (
        "{{inputs.parameters.x}} {{=toJson(sprig.untilStep(0, "
        "sprig.atoi(steps['plus1'].outputs.parameters['iter']), 1))}} "
        "{{=jsonpath(tasks['t1'].outputs.parameters['v'], '$')[0]}} {{item.s}} "
        "{{=map(item.a, {# + len(workflow.parameters.g)})}} {{inputs.parameters.x}}"
    )
    assert template_references(text) == [
        "inputs.parameters.x",
        "steps.plus1.outputs.parameters.iter",
        "tasks.t1.outputs.parameters.v",
        "item.s",
        "item.a",
        "workflow.parameters.g",
    ]
    assert template_references("no refs") == []
    assert template_references("{{=item}}") == ["item"]


def test_check_syntax_accepts_valid_text() -> None:
    check_syntax("plain")
    check_syntax("{{inputs.parameters.x}}-{{=asInt(inputs.parameters.x) + 1}}")
    check_syntax("{{steps.a.outputs.parameters.x}} < {{inputs.parameters.y}}", when=True)
    check_syntax("{{=asFloat(inputs.parameters.x) < 3}}", when=True)
    check_syntax("{{steps.flip-coin.outputs.result}} == heads", when=True)


@pytest.mark.parametrize(
    ("text", "when", "position"),
    [
        ("{{inputs.parameters.x}} <", True, 25),
        ("{{a}} == {{b}} === c", True, 15),
        ("x {{=1 +}}", False, 8),
        ("ab {{inputs.parameters.x", False, 3),
        ("{{ not a path }}", False, 0),
    ],
)
def test_check_syntax_errors(text: str, when: bool, position: int) -> None:
    with pytest.raises(ExpressionError) as info:
        check_syntax(text, when=when)
    assert text in str(info.value)
    assert f"position {position}" in str(info.value)
