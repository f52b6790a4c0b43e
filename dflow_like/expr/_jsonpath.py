"""The small JSONPath subset Argo expressions use through ``jsonpath(json, path)``.

Supported: ``$``, ``.name``, ``['name']``/``["name"]``, ``[n]`` (negative counts from the
end), ``[*]``/``.*`` (all elements), ``..name`` (recursive descent), and chains of these.
A wildcard or recursive step turns the result into a list, as JSONPath libraries do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from .errors import ExpressionError

__all__ = ["jsonpath"]

_STEP = re.compile(
    r"""\.\.(?P<deep>[A-Za-z0-9_$-]+)
      | \.(?P<name>[A-Za-z0-9_$-]+|\*)
      | \[\s*(?:'(?P<sq>(?:[^'\\]|\\.)*)'|"(?P<dq>(?:[^"\\]|\\.)*)"
               |(?P<idx>-?\d+)|(?P<star>\*))\s*\]
    """,
    re.VERBOSE,
)
_Step = tuple[str, Any]  # ("key", str) | ("idx", int) | ("all", None) | ("deep", str)


@lru_cache(maxsize=512)
def _compile(path: str) -> tuple[_Step, ...]:
    text = path.strip()
    if not text.startswith("$"):
        raise ExpressionError(f"jsonpath must start with '$': {path!r}")
    steps: list[_Step] = []
    i = 1
    while i < len(text):
        m = _STEP.match(text, i)
        if not m:
            raise ExpressionError(f"unsupported jsonpath {path!r} at position {i}")
        if m.group("deep") is not None:
            steps.append(("deep", m.group("deep")))
        elif m.group("name") == "*" or m.group("star") is not None:
            steps.append(("all", None))
        elif m.group("name") is not None:
            steps.append(("key", m.group("name")))
        elif m.group("idx") is not None:
            steps.append(("idx", int(m.group("idx"))))
        else:
            raw = m.group("sq") if m.group("sq") is not None else m.group("dq")
            steps.append(("key", re.sub(r"\\(.)", r"\1", raw)))
        i = m.end()
    return tuple(steps)


def _descend(value: Any, name: str, out: list[Any]) -> None:
    if isinstance(value, Mapping):
        if name in value:
            out.append(value[name])
        for v in value.values():
            _descend(v, name, out)
    elif isinstance(value, list):
        for v in value:
            _descend(v, name, out)


def _step(value: Any, step: _Step, path: str) -> Any:
    kind, arg = step
    if kind == "key":
        if isinstance(value, Mapping) and arg in value:
            return value[arg]
        raise ExpressionError(f"jsonpath {path!r}: key {arg!r} not found")
    if kind == "idx":
        if isinstance(value, list) and -len(value) <= arg < len(value):
            return value[arg]
        raise ExpressionError(f"jsonpath {path!r}: index {arg} out of range")
    if kind == "all":
        if isinstance(value, Mapping):
            return list(value.values())
        if isinstance(value, list):
            return list(value)
        raise ExpressionError(f"jsonpath {path!r}: '*' needs an array or object")
    out: list[Any] = []
    _descend(value, arg, out)
    return out


def jsonpath(document: object, path: str) -> Any:
    """Look ``path`` up in ``document`` (JSON text, or an already decoded value)."""
    if isinstance(document, (str, bytes)):
        try:
            document = json.loads(document)
        except ValueError as exc:
            raise ExpressionError(f"jsonpath: argument is not JSON: {exc}") from None
    steps = _compile(path)
    value: Any = document
    spread = False
    for step in steps:
        if spread:
            value = (
                [_step(v, step, path) for v in value]
                if step[0] != "deep"
                else [x for v in value for x in _step(v, step, path)]
            )
        else:
            value = _step(value, step, path)
        spread = spread or step[0] in ("all", "deep")
    return value
