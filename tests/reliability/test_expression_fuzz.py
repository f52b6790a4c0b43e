"""Garbled ``when`` and ``{{...}}`` text only ever raises ``ExpressionError`` naming the text.

Before: ``AssertionError`` (govaluate's lexer on ``]``), ``RecursionError`` (``((((...``,
``1+1+...``), ``OverflowError`` (``2 ** 100000``), ``ValueError`` (a 5,000-digit literal,
``NaN % 2``), ``MemoryError`` (``sprig.until(10000000000)``), ``re.error`` (``'a' matches
'('``) and ``TypeError`` (``[1] in {'a': 1}``) escaped. The fuzz is seeded
(``derandomize``), so a failure reproduces.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dflow_like.expr import ExpressionError, check_syntax, evaluate, evaluate_when, render, template_references

SCOPE = {
    "inputs": {"parameters": {"x": "5", "l": "[1, 2]", "j": '{"a": [1, {"b": 2}]}'}},
    "steps": {"s": {"outputs": {"parameters": {"p": "3"}, "result": "heads"}}},
    "item": {"k": [1, 2.5], "s": "text"},
    "a": 1,
    "b": "s",
}

TOKENS = [
    *"0123456789.,()[]{}+-*/%^<>=!?:#&|~'\"`\\ $_\t\n",
    "0x", "0x1f", "1_0", "1e5", "1e999", "9" * 30, "2.5", "-1",
    "true", "false", "nil", "in", "not", "and", "or", "matches", "contains", "startsWith",
    "==", "!=", "<=", ">=", "&&", "||", "**", "..", "??", "?.", "=~", "!~",
    "'a'", '"b"', "`c`", "'(a+)+$'", "'('", "[1,2]", "{'k': 1}", "{[1]: 2}",
    "a", "b", "x", "item", "item.k", "inputs.parameters.x", "inputs.parameters.l",
    "steps.s.outputs.parameters.p", "steps['s'].outputs.result", "#", "#index", "#acc",
    "sprig", "sprig.repeat", "sprig.until", "sprig.untilStep", "sprig.regexMatch", "sprig.atoi",
    "len", "asInt", "asFloat", "string", "toJson", "fromJSON", "jsonpath", "map", "filter",
    "all", "sum", "max", "flatten", "keys", "split", "fromBase64",
    "{{", "}}", "{{=", "{{ ", "é", "²", "\x00", "\u2028",
]  # fmt: skip

VALID = [
    "{{inputs.parameters.x}} == 5",
    "{{=asInt(inputs.parameters.x) > 3}}",
    "{{=map(1..3, # * 2)}}",
    "{{=sprig.until(3)}}",
    "{{=jsonpath(inputs.parameters.j, '$.a[1].b')}}",
    "{{=item.s matches 't.x'}}",
    "{{steps.s.outputs.result}} =~ '^h'",
    "{{=filter(item.k, # > 1)}}",
    "({{inputs.parameters.x}} > 1) && !(2 < 1)",
    "{{=toJson({'a': [1, 2.0]})}}",
]

_token_text = st.lists(st.sampled_from(TOKENS), max_size=14).map("".join)
_char_text = st.text(alphabet=st.sampled_from("".join(t for t in TOKENS if len(t) == 1) + "az"), max_size=30)


@st.composite
def _garbled(draw: st.DrawFn) -> str:
    """A valid template cut, spliced with tokens, or nested/repeated past every limit."""
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 6)))
        how = draw(st.sampled_from(["cut", "insert", "nest", "repeat"]))
        if how == "cut":
            text = text[:i] + text[j:]
        elif how == "insert":
            text = text[:i] + draw(_token_text) + text[i:]
        elif how == "nest":
            n = draw(st.sampled_from([3, 70, 400]))
            text = text[:i] + "(" * n + text[i:j] + ")" * n + text[j:]
        else:
            n = draw(st.sampled_from([2, 70, 400]))
            text = text[:i] + text[i:j] * n + text[j:]
    return text


_texts = st.one_of(_token_text, _char_text, _garbled(), _token_text.map(lambda t: "{{=" + t + "}}"))


def _check(fn_name: str, text: str, error: ExpressionError, needs_position: bool) -> None:
    message = str(error)
    assert repr(text) in message or text in message, f"{fn_name}({text!r}) does not name its text: {message}"
    if needs_position:
        assert error.position is not None, f"{fn_name}({text!r}) gives no position: {message}"
        assert 0 <= error.position <= len(text), f"{fn_name}({text!r}): position {error.position} outside the text"


def _run(fn_name: str, text: str, needs_position: bool) -> None:
    try:
        if fn_name == "check_syntax":
            check_syntax(text)
        elif fn_name == "check_when":
            check_syntax(text, when=True)
        elif fn_name == "template_references":
            template_references(text)
        elif fn_name == "render":
            render(text, SCOPE)
        elif fn_name == "evaluate_when":
            evaluate_when(text, SCOPE)
        else:
            evaluate(text, SCOPE)
    except ExpressionError as exc:
        _check(fn_name, text, exc, needs_position)


@settings(
    max_examples=1_000,  # of 10 texts each: 10,000 inputs
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(st.lists(_texts, min_size=10, max_size=10))
def test_no_error_but_expression_error(texts: list[str]) -> None:
    """Anything else escaping fails the example (hypothesis reports the text)."""
    for text in texts:
        _run("check_syntax", text, needs_position=True)
        _run("check_when", text, needs_position=True)
        _run("template_references", text, needs_position=True)
        _run("render", text, needs_position=True)
        _run("evaluate_when", text, needs_position="{{" not in text)  # else positions are in the rendered text
        inner = text[3:-2] if text.startswith("{{=") and text.endswith("}}") else text
        _run("evaluate", inner, needs_position=False)


@pytest.mark.parametrize(
    ("text", "fn_name"),
    [
        ("1 ] 2", "evaluate_when"),  # govaluate's lexer asserted on ']'
        ("(" * 3000 + "1" + ")" * 3000, "evaluate"),
        ("1" + "+1" * 3000, "evaluate"),
        ("(" * 3000 + "1" + ")" * 3000 + " == 1", "evaluate_when"),
        ("1" + " + 1" * 3000 + " == 1", "evaluate_when"),
        ("-" * 3000 + "1", "evaluate"),
        ("a" + "[0]" * 3000, "evaluate"),
        ("9" * 5000, "evaluate"),
        ("'a' matches '('", "evaluate"),
        ("'a' =~ '('", "evaluate_when"),
        ("[1] in {'a': 1}", "evaluate"),
        ("{(item.k): 1}", "evaluate"),
        ("{{inputs.parameters.x}} ² 1", "evaluate_when"),
        ("{{=fromJSON('" + "[" * 5000 + "1" + "]" * 5000 + "')}}", "render"),
        ("{{=nosuch}}", "render"),
    ],
)
def test_known_escapes_are_expression_errors(text: str, fn_name: str) -> None:
    with pytest.raises(ExpressionError) as info:
        _run_raw(fn_name, text)
    _check(fn_name, text, info.value, needs_position=fn_name == "render")


def _run_raw(fn_name: str, text: str) -> None:
    if fn_name == "render":
        render(text, SCOPE)
    elif fn_name == "evaluate_when":
        evaluate_when(text, SCOPE)
    else:
        evaluate(text, SCOPE)


def test_overflowing_arithmetic_follows_go() -> None:
    """Go's ``math.Pow``/``math.Mod`` give ±Inf and NaN where Python raises."""
    assert evaluate("2 ** 100000", {}) == float("inf")
    assert evaluate("(-2) ** 100001", {}) == float("-inf")
    assert evaluate_when("2 ** 100000 > 1", {}) is True
    assert evaluate_when("(0 / 0) % 2 == 1", {}) is False
    assert evaluate_when("-7 % 3 == -1", {}) is True  # Go's math.Mod keeps the dividend's sign
