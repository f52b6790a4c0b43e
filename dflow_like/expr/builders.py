"""dflow's expression builders (``argo_range``, ``if_expression``...), Argo forms only.

Each returns an ``ArgoVar`` whose ``expr`` is what dflow emits for Argo, so the manifest
and the local engine evaluate the same text. Operands that are plain parameter
references are wire *strings*, hence ``sprig.atoi(...)``/``sprig.fromJson(...)`` around
them. The builder objects keep their inputs (``.param``, ``.start``...) so compilers can
special-case them as dflow does (e.g. ``argo_sum`` fed to a slices prepare step).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from .variables import ArgoVar, HasExpr, expr_literal, is_parameter_reference, quote, to_expr

__all__ = [
    "ArgoConcat", "ArgoEnumerate", "ArgoLen", "ArgoRange", "ArgoSequence", "ArgoSum",
    "IfExpression", "argo_concat", "argo_enumerate", "argo_len", "argo_range",
    "argo_sequence", "argo_sum", "if_expression",
]  # fmt: skip

IntOperand: TypeAlias = int | HasExpr
"""An int, or a value known at run time (an ``ArgoVar``, a parameter reference)."""
ListOperand: TypeAlias = Sequence[object] | HasExpr
"""A list, or a run-time JSON list (a parameter reference, ``argo_range(...)``...)."""


def _int_operand(value: IntOperand) -> str:
    if is_parameter_reference(value):
        return f"sprig.atoi({to_expr(value)})"
    if isinstance(value, ArgoVar) or hasattr(value, "expr"):
        return to_expr(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"argo_range arguments must be int or ArgoVar, got {value!r}")
    return str(value)


def _list_operand(value: ListOperand) -> str:
    """A list operand: JSON text (``is_str``, the default) is decoded with ``sprig.fromJson``;
    a computed value (``is_str=False``, e.g. ``var['k']`` or ``argo_concat``) is used as is."""
    if isinstance(value, ArgoVar) or hasattr(value, "expr"):
        if getattr(value, "is_str", True):
            return f"sprig.fromJson({to_expr(value)})"
        return to_expr(value)
    return expr_literal(list(value))


class ArgoRange(ArgoVar):
    """``range(start, end, step)`` as a JSON list (Argo ``withParam`` input)."""

    def __init__(self, end: IntOperand, start: IntOperand = 0, step: IntOperand = 1) -> None:
        self.end, self.start, self.step = end, start, step
        super().__init__(f"toJson(sprig.untilStep({_int_operand(start)}, {_int_operand(end)}, {_int_operand(step)}))")


def argo_range(*args: IntOperand) -> ArgoRange:
    """Like Python's ``range`` (1-3 arguments, each an int or an ``ArgoVar``)."""
    if len(args) == 1:
        return ArgoRange(args[0])
    if len(args) == 2:
        return ArgoRange(args[1], args[0])
    if len(args) == 3:
        return ArgoRange(args[1], args[0], args[2])
    raise TypeError(f"Expected 1-3 arguments, got {len(args)}")


class ArgoLen(ArgoVar):
    """Length of a JSON list parameter."""

    def __init__(self, param: ListOperand) -> None:
        self.param = param
        if isinstance(param, (list, tuple)):
            super().__init__(str(len(param)), is_str=False)
        else:
            super().__init__(f"len({_list_operand(param)})", is_str=False)


def argo_len(param: ListOperand) -> ArgoLen:
    return ArgoLen(param)


class ArgoSum(ArgoVar):
    """Sum of a JSON list of numbers (expr-lang ``sum``)."""

    def __init__(self, param: ListOperand) -> None:
        self.param = param
        super().__init__(f"sum({_list_operand(param)})", is_str=False)


def argo_sum(param: ListOperand) -> ArgoSum:
    return ArgoSum(param)


class ArgoConcat(ArgoVar):
    """A JSON list of lists joined into one list.

    expr-lang's ``concat`` takes the lists as separate arguments, so one list of lists is
    joined with ``flatten`` (which flattens every level: lists nested deeper than two
    levels are flattened too; dflow only concatenates lists of paths).
    """

    def __init__(self, param: ListOperand) -> None:
        self.param = param
        super().__init__(f"flatten({_list_operand(param)})", is_str=False)


def argo_concat(param: ListOperand) -> ArgoConcat:
    return ArgoConcat(param)


class ArgoEnumerate(ArgoVar):
    """``[{"order": i, "value": v_i, ...}]`` over one or more equally long lists."""

    def __init__(self, **kwargs: ListOperand) -> None:
        if not kwargs:
            raise TypeError("argo_enumerate needs at least one list")
        self.kwargs = kwargs
        first = next(iter(kwargs.values()))
        length = to_expr(ArgoLen(first))
        values = "".join(f", {quote(k)}: jsonpath({_json_operand(v)}, '$')[#]" for k, v in kwargs.items())
        # "{ {" and "} }": a "}}" would end the Argo template tag.
        super().__init__(f"toJson(map(sprig.untilStep(0, {length}, 1), {{ {{'order': #{values}}} }}))")


def _json_operand(value: ListOperand) -> str:
    if isinstance(value, ArgoVar) or hasattr(value, "expr"):
        return to_expr(value)
    return expr_literal(list(value)) if not isinstance(value, str) else quote(value)


def argo_enumerate(*args: ListOperand, **kwargs: ListOperand) -> ArgoEnumerate:
    """One positional list is named ``value``; several are ``value0``, ``value1``..."""
    if len(args) == 1:
        kwargs["value"] = args[0]
    else:
        for i, arg in enumerate(args):
            kwargs[f"value{i}"] = arg
    return ArgoEnumerate(**kwargs)


class ArgoSequence:
    """Argo ``withSequence``: ``count`` or ``end``, optional ``start`` and printf ``format``."""

    def __init__(self, count: IntOperand | str | None = None, start: IntOperand | str | None = None,
                 end: IntOperand | str | None = None, format: str | None = None) -> None:  # fmt: skip
        """Fields as ``argo_sequence`` takes them, or as a manifest holds them (``from_dict``)."""
        self.count, self.start, self.end, self.format = count, start, end, format

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> ArgoSequence | None:
        if d is None:
            return None
        return cls(d.get("count"), d.get("start"), d.get("end"), d.get("format"))

    def to_dict(self) -> dict[str, Any]:
        def field(v: Any) -> Any:
            return "{{=" + v.expr + "}}" if isinstance(v, ArgoVar) else v

        return {
            "count": field(self.count),
            "start": field(self.start),
            "end": field(self.end),
            "format": self.format,
        }

    def __repr__(self) -> str:
        return f"ArgoSequence({self.to_dict()!r})"


def argo_sequence(count: IntOperand | None = None, start: IntOperand | None = None,
                  end: IntOperand | None = None, format: str | None = None) -> ArgoSequence:  # fmt: skip
    """A numeric sequence; each field an int or an ``ArgoVar`` (e.g. ``argo_len(p)``)."""
    return ArgoSequence(count=count, start=start, end=end, format=format)


class IfExpression(ArgoVar):
    """``(_if ? _then : _else)``; ``_then``/``_else`` kept as given (they may be artifacts).

    ``_if``: a parameter reference means "its value is the string ``true``"; another
    ``ArgoVar`` is used as the condition; a string is condition *text*; a bool a literal.
    ``_then``/``_else``: anything with ``.expr`` is used as an expression, other values
    become literals (a Python string is a string literal, so falsy values such as ``0``,
    ``""`` or ``False`` stay values and never change which branch is taken).
    """

    def __init__(self, _if: HasExpr | bool | str, _then: object, _else: object) -> None:
        if is_parameter_reference(_if):
            self._if = f"{to_expr(_if)} == 'true'"
        elif isinstance(_if, bool):
            self._if = "true" if _if else "false"
        elif isinstance(_if, str):
            self._if = _if
        else:
            self._if = to_expr(_if)
        self._then = _then
        self._else = _else
        self.is_str = True

    @property  # computed on use: the branches' expressions may change after construction
    def expr(self) -> str:
        return f"({self._if} ? {to_expr(self._then)} : {to_expr(self._else)})"

    @expr.setter
    def expr(self, value: str) -> None:
        raise AttributeError("IfExpression.expr is derived from _if/_then/_else")


def if_expression(_if: HasExpr | bool | str, _then: object, _else: object) -> IfExpression:
    return IfExpression(_if, _then, _else)
