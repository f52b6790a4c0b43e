"""Parameter values on the wire: the string an Argo parameter would carry.

Strings travel as they are; every other value as jsonpickle text (plain JSON for
JSON types), so numbers compare as numbers in ``when`` expressions on every engine.
"""

from __future__ import annotations

from typing import Any

import jsonpickle

__all__ = ["decode_value", "encode_value", "type_name_of"]


def encode_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return str(jsonpickle.encode(value))


def decode_value(raw: str, type_name: str = "") -> Any:
    """Decode a wire string; ``type_name`` "str" keeps it as text, "" guesses."""
    if type_name in ("str", "<class 'str'>"):
        return raw
    try:
        return jsonpickle.decode(raw)
    except Exception:  # not JSON: a plain string value of an untyped parameter
        return raw


def type_name_of(tp: Any) -> str:
    """A short, stable name for a declared type (recorded with values)."""
    if tp is None:
        return ""
    if isinstance(tp, type):
        return tp.__name__ if tp.__module__ == "builtins" else f"{tp.__module__}.{tp.__qualname__}"
    return str(tp)
