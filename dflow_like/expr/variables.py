"""``ArgoVar``: a value known only at run time, written as an expr-lang expression.

Operators build new expressions in dflow's Argo (non-debug) forms, so the text that the
Argo compiler writes into a manifest is the same text the local engine evaluates:

* ``var == x`` → ``EXPR == 'x'`` (non-strings compare as their JSON text, as on the wire);
* ``var < x`` (and ``<= > >= - * /``, ``+`` with non-strings) → ``asFloat(EXPR) < x``;
* ``var + "text"`` → the *template* string ``"{{...}}text"`` (dflow does the same);
* ``var['k']`` / ``var[0]`` → ``jsonpath(EXPR, '$')['k']`` / ``[0]``.

Comparison operators return expressions, so ``ArgoVar`` hashes by identity.
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from dflow_like._values import encode_value

__all__ = [
    "ArgoVar",
    "HasExpr",
    "expr_literal",
    "is_parameter_reference",
    "quote",
    "to_expr",
    "to_template",
    "wire_text",
]

_PARAM_REF = re.compile(
    r"(?:(?:(?:steps|tasks)\['[^'\\]*'\]\.)?(?:inputs|outputs)\.parameters\['[^'\\]*'\]"
    r"|workflow\.parameters\['[^'\\]*'\]"
    r"|(?:(?:steps|tasks)\.[\w-]+\.)?(?:inputs|outputs)\.parameters\.[\w-]+"
    r"|workflow\.parameters\.[\w-]+)\Z"
)


class HasExpr(Protocol):
    """A value known only at run time: an ``ArgoVar``, a parameter reference (``graph/io.py``)."""

    @property
    def expr(self) -> str: ...


def quote(text: str) -> str:
    """An expr-lang single-quoted string literal for ``text``."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def expr_literal(value: object) -> str:
    """The expr-lang literal for a Python value (strings quoted, ``None`` → ``nil``)."""
    if isinstance(value, str):
        return quote(value)
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return quote(json.dumps(value, separators=(",", ":")))


def to_expr(value: object) -> str:
    """Expression text for an operand: a variable's ``expr``, else a literal."""
    expr = getattr(value, "expr", None)
    if isinstance(expr, str):
        return expr
    return expr_literal(value)


def is_parameter_reference(value: object) -> bool:
    """Whether ``value`` is a plain reference to a parameter (a wire *string*)."""
    expr = getattr(value, "expr", None)
    return isinstance(expr, str) and _PARAM_REF.match(expr) is not None


def _json_native(value: Any) -> bool:
    if value is None or isinstance(value, (str, int, float)):
        return True
    if type(value) is list:
        return all(_json_native(v) for v in value)
    if type(value) is dict:
        return all(isinstance(k, str) and _json_native(v) for k, v in value.items())
    return False


def wire_text(value: object) -> str:
    """A parameter value as its wire string: strings as-is, JSON types as the JSON text
    jsonpickle would write (same bytes), anything else through ``encode_value``."""
    if isinstance(value, str):
        return value
    if _json_native(value):
        return json.dumps(value)
    return encode_value(value)


def to_template(value: object) -> str:
    """The parameter text to put in a manifest: a template for variables, else wire text."""
    if isinstance(value, ArgoVar):
        return str(value)
    return wire_text(value)


def _number_operand(other: Any) -> str:
    if isinstance(other, ArgoVar):
        return f"asFloat({other.expr})"
    if isinstance(other, str):
        try:
            float(other)
        except ValueError:
            return quote(other)
        return other
    return to_expr(other)


class ArgoVar:
    """An expression whose value is known at run time; ``str()`` gives ``{{=expr}}``."""

    expr: str
    is_str: bool = True

    def __init__(self, expr: str, is_str: bool = True) -> None:
        self.expr = expr
        self.is_str = is_str

    def __str__(self) -> str:
        return "{{=" + self.expr + "}}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.expr!r})"

    __hash__ = object.__hash__

    def __iter__(self) -> Any:
        raise TypeError(f"'{type(self).__name__}' object is not iterable")

    def __getitem__(self, key: int | str) -> ArgoVar:
        index = quote(key) if isinstance(key, str) else str(int(key))
        return ArgoVar(f"jsonpath({self.expr}, '$')[{index}]", is_str=False)

    def _equality(self, op: str, other: object) -> ArgoVar:
        if isinstance(other, ArgoVar):
            right = other.expr
        elif isinstance(other, str):
            right = quote(other)
        else:
            right = quote(wire_text(other))
        return ArgoVar(f"{self.expr} {op} {right}")

    def __eq__(self, other: object) -> ArgoVar:  # type: ignore[override]
        return self._equality("==", other)

    def __ne__(self, other: object) -> ArgoVar:  # type: ignore[override]
        return self._equality("!=", other)

    def _numeric(self, op: str, other: Any) -> ArgoVar:
        return ArgoVar(f"asFloat({self.expr}) {op} {_number_operand(other)}")

    def __lt__(self, other: Any) -> ArgoVar:
        return self._numeric("<", other)

    def __le__(self, other: Any) -> ArgoVar:
        return self._numeric("<=", other)

    def __gt__(self, other: Any) -> ArgoVar:
        return self._numeric(">", other)

    def __ge__(self, other: Any) -> ArgoVar:
        return self._numeric(">=", other)

    def __add__(self, other: Any) -> Any:
        if isinstance(other, str):
            return str(self) + other
        return self._numeric("+", other)

    def __radd__(self, other: Any) -> Any:
        if isinstance(other, str):
            return other + str(self)
        return ArgoVar(f"{_number_operand(other)} + asFloat({self.expr})")

    def __sub__(self, other: Any) -> ArgoVar:
        return self._numeric("-", other)

    def __mul__(self, other: Any) -> ArgoVar:
        return self._numeric("*", other)

    def __truediv__(self, other: Any) -> ArgoVar:
        return self._numeric("/", other)
