"""Builders emit dflow's Argo-mode text, and that text evaluates as Argo would."""

from __future__ import annotations

import json

import pytest

from dflow_like.expr import (
    ArgoVar,
    IfExpression,
    argo_concat,
    argo_enumerate,
    argo_len,
    argo_range,
    argo_sequence,
    argo_sum,
    evaluate,
    expand_sequence,
    if_expression,
    render,
    to_template,
)


class Param(ArgoVar):
    """Stands in for the lead's InputParameter/OutputParameter references."""

    def __init__(self, name: str, step: str | None = None) -> None:
        prefix = f"steps['{step}'].outputs" if step else "inputs"
        super().__init__(f"{prefix}.parameters['{name}']")
        self.text = f"{{{{steps.{step}.outputs.parameters.{name}}}}}" if step else (f"{{{{inputs.parameters.{name}}}}}")

    def __str__(self) -> str:
        return self.text


SCOPE = {
    "inputs": {"parameters": {"n": "3", "start": "1", "lst": "[10, 20, 30]", "flag": "true"}},
    "steps": {"gen": {"outputs": {"parameters": {"nested": "[[1, 2], [3]]", "nums": "[1, 2.5, 3]"}}}},
}


def test_argo_range_text_and_value() -> None:
    n = Param("n")
    assert argo_range(3).expr == "toJson(sprig.untilStep(0, 3, 1))"
    r = argo_range(Param("start"), n)
    assert r.expr == (
        "toJson(sprig.untilStep(sprig.atoi(inputs.parameters['start']), sprig.atoi(inputs.parameters['n']), 1))"
    )
    assert evaluate(r.expr, SCOPE) == "[1,2]"
    assert render(str(argo_range(0, 10, 3)), SCOPE) == "[0,3,6,9]"
    with pytest.raises(TypeError, match="1-3 arguments"):
        argo_range()


def test_argo_len_sum_concat() -> None:
    lst = Param("lst")
    assert argo_len(lst).expr == "len(sprig.fromJson(inputs.parameters['lst']))"
    assert evaluate(argo_len(lst).expr, SCOPE) == 3
    assert evaluate(argo_range(argo_len(lst)).expr, SCOPE) == "[0,1,2]"
    nums = Param("nums", "gen")
    assert argo_sum(nums).expr == "sum(sprig.fromJson(steps['gen'].outputs.parameters['nums']))"
    assert evaluate(argo_sum(nums).expr, SCOPE) == 6.5
    nested = Param("nested", "gen")
    assert evaluate(argo_concat(nested).expr, SCOPE) == [1, 2, 3]
    assert evaluate(argo_len(argo_concat(nested)).expr, SCOPE) == 3
    assert argo_len([1, 2]).expr == "2"


def test_argo_enumerate() -> None:
    e = argo_enumerate(Param("lst"))
    assert "}}" not in e.expr  # would end the Argo tag early
    assert json.loads(render(str(e), SCOPE)) == [
        {"order": 0, "value": 10},
        {"order": 1, "value": 20},
        {"order": 2, "value": 30},
    ]
    two = argo_enumerate(a=["x", "y"], b=[1, 2])
    assert json.loads(evaluate(two.expr, SCOPE)) == [
        {"a": "x", "b": 1, "order": 0},
        {"a": "y", "b": 2, "order": 1},
    ]


def test_argo_sequence_to_dict_and_expand() -> None:
    seq = argo_sequence(count=argo_len(Param("lst")), start=Param("start"), format="%02d")
    d = seq.to_dict()
    assert d == {
        "count": "{{=len(sprig.fromJson(inputs.parameters['lst']))}}",
        "start": "{{=inputs.parameters['start']}}",
        "end": None,
        "format": "%02d",
    }
    assert expand_sequence(seq, SCOPE) == ["01", "02", "03"]
    assert expand_sequence({"start": "5", "end": "2"}, {}) == ["5", "4", "3", "2"]
    assert expand_sequence({"count": 0}, {}) == []
    assert expand_sequence({"count": "3", "format": "f-%x"}, {}) == ["f-0", "f-1", "f-2"]


def test_if_expression_text_and_branches() -> None:
    cond = Param("flag")
    e = if_expression(cond, Param("n"), Param("start"))
    assert isinstance(e, IfExpression)
    assert e.expr == ("(inputs.parameters['flag'] == 'true' ? inputs.parameters['n'] : inputs.parameters['start'])")
    assert evaluate(e.expr, SCOPE) == "3"
    assert e._then.expr == "inputs.parameters['n']"  # branches kept for artifact handling
    other = if_expression(ArgoVar("asFloat(inputs.parameters['n']) > 5"), "big", "small")
    assert evaluate(other.expr, SCOPE) == "small"


@pytest.mark.parametrize("falsy", [0, "", False, 0.0])
def test_if_expression_falsy_then_does_not_flip(falsy: object) -> None:
    e = if_expression(True, falsy, "else-value")
    assert evaluate(e.expr, {}) == falsy
    assert type(evaluate(e.expr, {})) is type(falsy)
    assert evaluate(if_expression(False, falsy, "else-value").expr, {}) == "else-value"


def test_argovar_operators_follow_dflow_argo_mode() -> None:
    n = Param("n")
    assert (n == "3").expr == "inputs.parameters['n'] == '3'"
    assert (n == 3).expr == "inputs.parameters['n'] == '3'"  # JSON text on the wire
    assert (n != "x").expr == "inputs.parameters['n'] != 'x'"
    assert (n < 5).expr == "asFloat(inputs.parameters['n']) < 5"
    assert (n >= Param("start")).expr == ("asFloat(inputs.parameters['n']) >= asFloat(inputs.parameters['start'])")
    assert (n * 2).expr == "asFloat(inputs.parameters['n']) * 2"
    assert n + "-suffix" == "{{inputs.parameters.n}}-suffix"
    assert "pre-" + n == "pre-{{inputs.parameters.n}}"
    assert n["k"].expr == "jsonpath(inputs.parameters['n'], '$')['k']"
    for expr, want in [
        ((n == 3).expr, True),
        ((n < 5).expr, True),
        ((n / 2).expr, 1.5),
        ((n - 1).expr, 2.0),
        (Param("lst")[1].expr, 20),
    ]:
        assert evaluate(expr, SCOPE) == want
    assert str(n < 5) == "{{=asFloat(inputs.parameters['n']) < 5}}"
    assert len({n, Param("n")}) == 2  # identity hash despite overloaded ==
    with pytest.raises(TypeError):
        iter(n)


def test_to_template() -> None:
    assert to_template(Param("n")) == "{{inputs.parameters.n}}"
    assert to_template(ArgoVar("1 + 1")) == "{{=1 + 1}}"
    assert to_template("plain") == "plain"
    assert to_template({"a": [1, 2]}) == '{"a": [1, 2]}'
    assert to_template(3) == "3"
