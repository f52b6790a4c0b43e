"""expr-lang evaluation with Argo's functions and wire-string parameters."""

from __future__ import annotations

import math

import pytest

from dflow_like.expr import ExpressionError, evaluate

SCOPE = {
    "inputs": {"parameters": {"x": "5", "lst": "[1, 2, 3]", "obj": '{"a": {"b": [7, 8]}}'}},
    "steps": {"flip-coin": {"outputs": {"result": "heads", "parameters": {"p": "1"}}}},
    "item": {"name": "n1", "vals": [3, 1, 2]},
    "workflow": {"name": "wf-1", "parameters": {"g": "global"}},
}


@pytest.mark.parametrize(
    ("expr", "want"),
    [
        ("1 + 2 * 3", 7),
        ("7 / 2", 3.5),
        ("6 / 3", 2.0),
        ("-7 % 3", -1),  # Go truncates toward zero
        ("2 ** 3", 8.0),
        ("2 ^ 3 ^ 2", 512.0),  # right-associative
        ("'a' + \"b\"", "ab"),
        ("1 == 1.0", True),
        ("'1' == 1", False),
        ("nil == nil", True),
        ("[1, 2] == [1, 2]", True),
        ("3 in [1, 2, 3]", True),
        ("'a' in {a: 1}", True),
        ("4 not in [1, 2]", True),
        ("!true || not false", True),
        ("true and false or true", True),
        ("1 < 2 ? 'y' : 'n'", "y"),
        ("nil ?? 'd'", "d"),
        ("'abc' matches '^a.c$'", True),
        ("'abc' contains 'b' && 'abc' startsWith 'a' && 'abc' endsWith 'c'", True),
        ("1..3", [1, 2, 3]),
        ("[1, 2, 3][-1]", 3),
        ("[1, 2, 3][1:]", [2, 3]),
        ("{a: 1, 'b c': 2}['b c']", 2),
        ("0x10 + 1_000", 1016),
        ("1e3", 1000.0),
        ("'it\\'s'", "it's"),
    ],
)
def test_operators(expr: str, want: object) -> None:
    got = evaluate(expr, {})
    assert got == want
    assert type(got) is type(want)


def test_scope_access_forms() -> None:
    assert evaluate("inputs.parameters.x", SCOPE) == "5"
    assert evaluate("inputs.parameters['x']", SCOPE) == "5"
    assert evaluate("steps['flip-coin'].outputs.result", SCOPE) == "heads"
    assert evaluate("item.vals[0] + len(item.vals)", SCOPE) == 6
    assert evaluate("workflow.parameters.g", SCOPE) == "global"
    assert evaluate("inputs.parameters.missing", SCOPE) is None  # expr-lang: missing key is nil
    assert evaluate("inputs?.nope?.deeper", SCOPE) is None


def test_wire_strings_need_conversion_like_argo() -> None:
    with pytest.raises(ExpressionError, match="mismatched types string and int"):
        evaluate("inputs.parameters.x < 3", SCOPE)
    assert evaluate("asFloat(inputs.parameters.x) < 3", SCOPE) is False
    assert evaluate("asInt(inputs.parameters.x) + 1", SCOPE) == 6
    with pytest.raises(ExpressionError, match="ParseInt"):
        evaluate("asInt('5.0')", {})
    assert evaluate("int(5.9)", {}) == 5
    assert evaluate("float('1e3')", {}) == 1000.0


def test_functions() -> None:
    assert evaluate("string(2.0)", {}) == "2"  # Go %v
    assert evaluate("string(1e6)", {}) == "1e+06"
    assert evaluate("string([1, 'a'])", {}) == "[1 a]"
    assert evaluate("toJson([0, 1.0, 'x'])", {}) == '[0,1,"x"]'
    assert evaluate("toJson({b: 1, a: nil})", {}) == '{"a":null,"b":1}'  # Go sorts keys
    assert evaluate("len('héllo')", {}) == 5
    assert evaluate("jsonpath(inputs.parameters.obj, '$.a.b[1]')", SCOPE) == 8
    assert evaluate("jsonpath(inputs.parameters.obj, \"$['a']['b']\")", SCOPE) == [7, 8]
    assert evaluate("jsonpath(inputs.parameters.lst, '$')[0]", SCOPE) == 1
    assert evaluate("jsonpath(inputs.parameters.obj, '$..b')", SCOPE) == [[7, 8]]
    assert evaluate("sum([1, 2.5])", {}) == 3.5
    assert evaluate("concat([1], [2, 3])", {}) == [1, 2, 3]
    assert evaluate("flatten([[1], [2, [3]]])", {}) == [1, 2, 3]
    assert evaluate("max(3, 1, 2)", {}) == 3
    assert evaluate("upper('a') + lower('B') + trim('  c ')", {}) == "Abc"
    assert evaluate("join(split('a,b', ','), '-')", {}) == "a-b"


def test_sprig() -> None:
    assert evaluate("sprig.untilStep(0, 5, 2)", {}) == [0, 2, 4]
    assert evaluate("sprig.untilStep(5, 0, -2)", {}) == [5, 3, 1]
    assert evaluate("sprig.untilStep(0, 5, 0)", {}) == []
    assert evaluate("sprig.atoi('12')", {}) == 12
    assert evaluate("sprig.atoi('x')", {}) == 0  # sprig swallows the error
    assert evaluate("sprig.fromJson('[1, {\"a\": 2}]')", {}) == [1, {"a": 2}]
    assert evaluate("sprig.fromJson('not json')", {}) == ""
    assert evaluate("sprig.toJson({a: [1]})", {}) == '{"a":[1]}'
    assert evaluate("sprig.replace('a', 'b', 'aa')", {}) == "bb"
    assert evaluate("sprig.default('d', '')", {}) == "d"
    assert evaluate("sprig.add(1, 2, 3)", {}) == 6


def test_predicates() -> None:
    assert evaluate("map([1, 2], {# * 10})", {}) == [10, 20]
    assert evaluate("map([1, 2], # + #index)", {}) == [1, 3]
    assert evaluate("filter(item.vals, {# > 1})", SCOPE) == [3, 2]
    assert evaluate("all([1, 2], {# > 0}) && any([1, 2], {# > 1})", {}) is True
    assert evaluate("one([1, 2], {# > 1}) && none([1, 2], {# > 5})", {}) is True
    assert evaluate("count([1, 2, 3], {# >= 2})", {}) == 2
    assert evaluate("map([{a: 1}, {a: 2}], {.a})", {}) == [1, 2]
    assert evaluate("map([[1, 2], [3]], {map(#, {# * 2})})", {}) == [[2, 4], [6]]
    assert evaluate("map(sprig.untilStep(0, 2, 1), { {'order': #} })", {}) == [
        {"order": 0},
        {"order": 1},
    ]


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("nope + 1", "unknown name nope"),
        ("'a' + 1", "mismatched types string and int"),
        ("1 && true", "needs a bool"),
        ("1 ? 2 : 3", "ternary condition needs a bool"),
        ("[1][5]", "index out of range"),
        ("nil.a", "cannot fetch a from nil"),
        ("1 % 0", "integer divide by zero"),
        ("len(1)", "invalid argument for len"),
        ("jsonpath('{}', '$.a')", "key 'a' not found"),
        ("sprig.nope(1)", "is not a function"),
    ],
)
def test_runtime_errors_are_clear(expr: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message) as info:
        evaluate(expr, SCOPE)
    assert expr in str(info.value)


@pytest.mark.parametrize(
    ("expr", "position"),
    [("1 +", 3), ("(1", 2), ("a[", 2), ("'open", 0), ("1 @ 2", 2), ("", 0), ("a b", 2)],
)
def test_syntax_errors_have_positions(expr: str, position: int) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate(expr, {})
    assert info.value.position == position
    assert f"position {position}" in str(info.value)


def test_division_by_zero_is_go_float() -> None:
    assert evaluate("1 / 0", {}) == math.inf
    assert math.isnan(evaluate("0 / 0", {}))
