"""Parameter values on the wire: the string an Argo parameter would carry.

Strings travel as they are; every other value as jsonpickle text (plain JSON for
JSON types), so numbers compare as numbers in ``when`` expressions on every engine.
jsonpickle's ``Pickler``/``Unpickler`` are used directly with the stdlib ``json``:
``keys=True`` keeps non-string dict keys intact, and no other backend (e.g. YAML)
ever guesses at a plain string.
"""

from __future__ import annotations

import json
from typing import Any

from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler

__all__ = ["decode_value", "encode_value", "type_name_of"]


_SCALARS = (bool, int, float, type(None))


def encode_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if type(value) in _SCALARS:  # exactly what jsonpickle would write, without its machinery
        return json.dumps(value)
    return json.dumps(Pickler(keys=True).flatten(value, reset=True), separators=(",", ":"))


def decode_value(raw: str, type_name: str = "") -> Any:
    """Decode a wire string; ``type_name`` "str" keeps it as text, "" guesses."""
    if type_name in ("str", "<class 'str'>"):
        return raw
    try:
        data = json.loads(raw)
    except ValueError:  # not JSON: a plain string value of an untyped parameter
        return raw
    return Unpickler(keys=True).restore(data, reset=True)


def type_name_of(tp: Any) -> str:
    """A short, stable name for a declared type (recorded with values)."""
    if tp is None:
        return ""
    if isinstance(tp, type):
        return tp.__name__ if tp.__module__ == "builtins" else f"{tp.__module__}.{tp.__qualname__}"
    return str(tp)
