"""Go's text forms of values, so rendered results match what Argo (Go) would write.

Argo renders ``{{=expr}}`` results with ``encoding/json`` (strings unquoted) and expr-lang's
``string()`` uses ``fmt``'s ``%v``. Python's ``repr``/``json`` differ for floats (``6.0`` vs
Go's ``6``, ``1e+06`` for ``%v``), map key order (Go sorts) and HTML escaping (Go escapes
``<``, ``>``, ``&`` in JSON strings); these helpers reproduce Go.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal

__all__ = ["go_json", "go_str"]

_HTML_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _digits(f: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of ``abs(f)`` and the decimal-point position."""
    _sign, digits, exp = Decimal(repr(abs(f))).normalize().as_tuple()
    text = "".join(map(str, digits)) or "0"
    assert isinstance(exp, int)
    return text, len(text) + exp


def _fixed(f: float) -> str:
    text = format(Decimal(repr(f)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _exp_form(f: float, min_exp_digits: int) -> str:
    digits, point = _digits(f)
    exp = point - 1
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if exp < 0 else "+"
    out = f"{mant}e{sign}{abs(exp):0{min_exp_digits}d}"
    return ("-" if math.copysign(1.0, f) < 0 else "") + out


def _json_float(f: float) -> str:
    """``encoding/json``: fixed notation, exponent only below 1e-6 or from 1e21."""
    if math.isnan(f) or math.isinf(f):
        raise ValueError(f"json: unsupported value: {go_str(f)}")
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        text = _exp_form(f, 2)
        return re.sub(r"e-0(\d)$", r"e-\1", text)
    return _fixed(f)


def _v_float(f: float) -> str:
    """``fmt`` ``%v``: shortest ``%g``; exponent form when the exponent is < -4 or >= 6."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    _digits_text, point = _digits(f)
    exp = point - 1
    if exp < -4 or exp >= 6:
        return _exp_form(f, 2)
    return _fixed(f)


def go_str(value: object) -> str:
    """Go's ``fmt.Sprintf("%v", value)`` for JSON-like values."""
    if isinstance(value, str):
        return value
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _v_float(value)
    if isinstance(value, Mapping):
        items = sorted((str(k), go_str(v)) for k, v in value.items())
        return "map[" + " ".join(f"{k}:{v}" for k, v in items) + "]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_str(v) for v in value) + "]"
    return str(value)


def _json_str(s: str) -> str:
    text = json.dumps(s, ensure_ascii=False)
    if any(c in text for c in _HTML_ESCAPES):
        for c, esc in _HTML_ESCAPES.items():
            text = text.replace(c, esc)
    return text


def go_json(value: object) -> str:
    """Go's ``json.Marshal``: compact, map keys sorted, HTML-escaped, Go float text."""
    if isinstance(value, str):
        return _json_str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, Mapping):
        items = sorted((str(k), v) for k, v in value.items())
        return "{" + ",".join(_json_str(k) + ":" + go_json(v) for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    raise ValueError(f"json: unsupported type: {type(value).__name__}")
