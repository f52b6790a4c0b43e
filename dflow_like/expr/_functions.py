"""Functions visible to expressions: expr-lang builtins, Argo's additions and ``sprig.*``.

Semantics follow the Go originals where they matter for workflows:

* ``asInt``/``int``: strings parse like Go ``strconv.ParseInt`` (no spaces, no ``"5.0"``),
  floats truncate toward zero. ``asFloat``/``float``: Go ``ParseFloat`` (``"1e3"`` ok).
* ``string(x)``: Go ``%v`` (``string(2.0) == "2"``, ``string(1e6) == "1e+06"``).
* ``toJson(x)``: Go ``json.Marshal`` (compact, sorted keys): ``toJson([0,1]) == "[0,1]"``.
* ``jsonpath(text, path)``: ``text`` is JSON text (a parameter); see ``_jsonpath.py``.
* ``sprig.atoi`` returns 0 for unparsable text (sprig ignores the error);
  ``sprig.fromJson`` returns ``""`` for invalid JSON; ``sprig.untilStep`` is Go's loop
  (empty for a zero step or a step in the wrong direction).
* ``sum``/``concat``/``flatten`` are expr-lang's (``concat`` joins its array arguments;
  ``flatten`` flattens nested arrays fully).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from ._gofmt import go_json, go_str
from ._jsonpath import jsonpath
from .errors import ExpressionError
from .limits import check_chars, check_items, compile_regex

__all__ = ["FUNCTIONS", "SPRIG", "is_number", "sum_values", "type_name"]

_INT_RE = re.compile(r"[+-]?\d+\Z")
_FLOAT_RE = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)\Z", re.IGNORECASE)


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def type_name(value: object) -> str:
    """expr-lang-ish type names for error messages."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ExpressionError(f"int() not supported on bool {go_str(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ExpressionError(f"int() cannot convert {go_str(value)}")
        return int(value)
    if isinstance(value, str):
        if _INT_RE.match(value):
            return int(value)
        raise ExpressionError(f'strconv.ParseInt: parsing "{value}": invalid syntax')
    raise ExpressionError(f"int() not supported on {type_name(value)} {go_str(value)}")


def as_float(value: Any) -> float:
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        if _FLOAT_RE.match(value):
            return float(value)
        raise ExpressionError(f'strconv.ParseFloat: parsing "{value}": invalid syntax')
    raise ExpressionError(f"float() not supported on {type_name(value)} {go_str(value)}")


def _len(value: Any) -> int:
    if isinstance(value, (str, list, tuple, Mapping)):
        return len(value)
    raise ExpressionError(f"invalid argument for len (type {type_name(value)})")


def _array(value: Any, fn: str) -> list[Any] | tuple[Any, ...]:
    if isinstance(value, (list, tuple)):
        return value
    raise ExpressionError(f"{fn}: expected an array, got {type_name(value)}")


def sum_values(values: Any) -> int | float:
    total: int | float = 0
    for v in _array(values, "sum"):
        if not is_number(v):
            raise ExpressionError(f"sum: invalid element of type {type_name(v)}")
        total += v
    return total


def _concat(*arrays: Any) -> list[Any]:
    out: list[Any] = []
    for a in arrays:
        out.extend(_array(a, "concat"))
    return out


def _flatten(values: Any) -> list[Any]:
    out: list[Any] = []
    for v in _array(values, "flatten"):
        out.extend(_flatten(v) if isinstance(v, (list, tuple)) else [v])
    return out


def _minmax(pick: Callable[..., Any], name: str) -> Callable[..., Any]:
    def fn(*args: Any) -> Any:
        items = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
        if not items or not all(is_number(v) for v in items):
            raise ExpressionError(f"{name}: expected numbers")
        return pick(items)

    return fn


def _to_json(value: Any) -> str:
    try:
        return go_json(value)
    except ValueError as exc:
        raise ExpressionError(str(exc)) from None


def _from_json(text: Any) -> Any:
    if not isinstance(text, str):
        raise ExpressionError(f"fromJSON: expected a string, got {type_name(text)}")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ExpressionError(f"fromJSON: {exc}") from None


def _keys(m: Any) -> list[Any]:
    if not isinstance(m, Mapping):
        raise ExpressionError(f"keys: expected a map, got {type_name(m)}")
    return list(m.keys())


def _values(m: Any) -> list[Any]:
    if not isinstance(m, Mapping):
        raise ExpressionError(f"values: expected a map, got {type_name(m)}")
    return list(m.values())


def _first(a: Any) -> Any:
    return a[0] if isinstance(a, (list, tuple, str)) and len(a) > 0 else None


def _last(a: Any) -> Any:
    return a[-1] if isinstance(a, (list, tuple, str)) and len(a) > 0 else None


def _str_fn(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any) -> Any:
        if not args or not isinstance(args[0], str):
            raise ExpressionError(f"{name}: expected a string argument")
        return fn(*args)

    return wrapped


def _round(x: Any) -> float:
    f = as_float(x)
    return float(math.floor(f + 0.5)) if f >= 0 else -float(math.floor(-f + 0.5))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": _len,
    "asInt": as_int,
    "asFloat": as_float,
    "int": as_int,
    "float": as_float,
    "string": go_str,
    "toJson": _to_json,
    "toJSON": lambda v: json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False),
    "fromJSON": _from_json,
    "jsonpath": jsonpath,
    "concat": _concat,
    "flatten": _flatten,
    "max": _minmax(max, "max"),
    "min": _minmax(min, "min"),
    "abs": lambda x: abs(x) if is_number(x) else abs(as_float(x)),
    "ceil": lambda x: float(math.ceil(as_float(x))),
    "floor": lambda x: float(math.floor(as_float(x))),
    "round": _round,
    "keys": _keys,
    "values": _values,
    "first": _first,
    "last": _last,
    "reverse": lambda a: list(reversed(_array(a, "reverse"))),
    "upper": _str_fn("upper", str.upper),
    "lower": _str_fn("lower", str.lower),
    "trim": _str_fn("trim", lambda s, cut=None: s.strip(cut) if cut else s.strip()),
    "trimPrefix": _str_fn("trimPrefix", lambda s, p: s[len(p) :] if s.startswith(p) else s),
    "trimSuffix": _str_fn("trimSuffix", lambda s, p: s[: -len(p)] if p and s.endswith(p) else s),
    "split": _str_fn("split", lambda s, sep: s.split(sep) if sep else list(s)),
    "replace": _str_fn("replace", lambda s, old, new: s.replace(old, new)),
    "indexOf": _str_fn("indexOf", lambda s, sub: s.find(sub)),
    "hasPrefix": _str_fn("hasPrefix", lambda s, p: s.startswith(p)),
    "hasSuffix": _str_fn("hasSuffix", lambda s, p: s.endswith(p)),
    "join": lambda a, sep="": sep.join(go_str(v) for v in _array(a, "join")),
    "toBase64": _str_fn("toBase64", lambda s: base64.b64encode(s.encode()).decode()),
    "fromBase64": _str_fn("fromBase64", lambda s: base64.b64decode(s).decode()),
}


# -- sprig (Masterminds/sprig GenericFuncMap), the part workflows use -------------------


def _until_step(start: Any, stop: Any, step: Any) -> list[int]:
    a, b, s = (_sprig_int_arg(v, "untilStep") for v in (start, stop, step))
    if (b < a and s >= 0) or (b >= a and s <= 0):
        return []
    check_items((abs(b - a) + abs(s) - 1) // abs(s), f"sprig.untilStep({a}, {b}, {s})")
    return list(range(a, b, s))


def _sprig_int_arg(value: Any, fn: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ExpressionError(f"sprig.{fn}: expected an int, got {type_name(value)} {go_str(value)}")


def _atoi(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = go_str(value)
    return int(text) if _INT_RE.match(text) else 0


def _atof(value: Any) -> float:
    text = go_str(value)
    return float(text) if _FLOAT_RE.match(text) else 0.0


def _sprig_from_json(text: Any) -> Any:
    try:
        return json.loads(go_str(text))
    except ValueError:
        return ""


def _sprig_to_json(value: Any) -> str:
    try:
        return go_json(value)
    except ValueError:
        return ""


def _num_args(fn: str, reduce: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def wrapped(first: Any, *rest: Any) -> Any:
        acc = _atoi(first) if isinstance(first, str) else first
        for v in rest:
            acc = reduce(acc, _atoi(v) if isinstance(v, str) else v)
        return acc

    return wrapped


def _repeat(count: Any, s: Any) -> str:
    text = go_str(s)
    n = int(count)
    check_chars(n * len(text), f"sprig.repeat({n}, ...)")
    return text * n


def _regex_match(pattern: Any, s: Any) -> bool:
    """sprig ``regexMatch`` ignores a bad pattern and answers false (sprig regex.go, regexMatch)."""
    try:
        return _must_regex_match(pattern, s)
    except ExpressionError:
        return False


def _must_regex_match(pattern: Any, s: Any) -> bool:
    return compile_regex(go_str(pattern), "sprig.regexMatch").search(go_str(s)) is not None


def _empty(v: Any) -> bool:
    return v is None or v is False or v == 0 or (hasattr(v, "__len__") and len(v) == 0)


SPRIG: dict[str, Callable[..., Any]] = {
    "untilStep": _until_step,
    "until": lambda n: _until_step(0, n, 1 if _sprig_int_arg(n, "until") >= 0 else -1),
    "atoi": _atoi,
    "int": lambda v: _atoi(v) if not isinstance(v, float) else int(v),
    "int64": lambda v: _atoi(v) if not isinstance(v, float) else int(v),
    "float64": lambda v: float(v) if is_number(v) else _atof(v),
    "toString": go_str,
    "fromJson": _sprig_from_json,
    "mustFromJson": _from_json,
    "toJson": _sprig_to_json,
    "mustToJson": _to_json,
    "toPrettyJson": lambda v: json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False),
    "upper": lambda s: go_str(s).upper(),
    "lower": lambda s: go_str(s).lower(),
    "title": lambda s: go_str(s).title(),
    "trim": lambda s: go_str(s).strip(),
    "trimAll": lambda cut, s: go_str(s).strip(cut),
    "trimPrefix": lambda p, s: go_str(s)[len(p) :] if go_str(s).startswith(p) else go_str(s),
    "trimSuffix": lambda p, s: go_str(s)[: -len(p)] if p and go_str(s).endswith(p) else go_str(s),
    "replace": lambda old, new, s: go_str(s).replace(old, new),
    "contains": lambda sub, s: sub in go_str(s),
    "hasPrefix": lambda p, s: go_str(s).startswith(p),
    "hasSuffix": lambda p, s: go_str(s).endswith(p),
    "repeat": _repeat,
    "substr": lambda a, b, s: go_str(s)[int(a) : int(b)] if int(b) >= 0 else go_str(s)[int(a) :],
    "nospace": lambda s: "".join(go_str(s).split()),
    "quote": lambda *a: " ".join(json.dumps(go_str(v), ensure_ascii=False) for v in a),
    "squote": lambda *a: " ".join(f"'{go_str(v)}'" for v in a),
    "cat": lambda *a: " ".join(go_str(v) for v in a if v is not None),
    "splitList": lambda sep, s: go_str(s).split(sep),
    "join": lambda sep, a: sep.join(go_str(v) for v in _array(a, "sprig.join")),
    "regexMatch": _regex_match,
    "mustRegexMatch": _must_regex_match,
    "default": lambda d, *v: d if not v or _empty(v[0]) else v[0],
    "empty": _empty,
    "coalesce": lambda *a: next((v for v in a if not _empty(v)), None),
    "ternary": lambda t, f, cond: t if cond else f,
    "list": lambda *a: list(a),
    "first": _first,
    "last": _last,
    "b64enc": lambda s: base64.b64encode(go_str(s).encode()).decode(),
    "b64dec": lambda s: base64.b64decode(go_str(s)).decode(),
    "sha256sum": lambda s: hashlib.sha256(go_str(s).encode()).hexdigest(),
    "add": _num_args("add", lambda a, b: a + b),
    "sub": lambda a, b: _atoi(a) - _atoi(b),
    "mul": _num_args("mul", lambda a, b: a * b),
    "div": lambda a, b: int(_atoi(a) / _atoi(b)),
    "mod": lambda a, b: int(math.fmod(_atoi(a), _atoi(b))),
    "max": lambda *a: max(_atoi(v) for v in a),
    "min": lambda *a: min(_atoi(v) for v in a),
}
