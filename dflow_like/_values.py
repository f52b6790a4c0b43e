"""Parameter values on the wire: the string an Argo parameter would carry.

Strings travel as they are; every other value as jsonpickle text (plain JSON for
JSON types), so numbers compare as numbers in ``when`` expressions on every engine.
Plain JSON values (numbers, booleans, null, lists and string-keyed dicts of them) are
written and read with the stdlib ``json`` — byte for byte what jsonpickle writes — and
jsonpickle (slow to import) is loaded only for values that need it. Its
``Pickler``/``Unpickler`` are used directly: ``keys=True`` keeps non-string dict keys
intact, and no other backend (e.g. YAML) ever guesses at a plain string.
"""

from __future__ import annotations

import collections.abc
import json
import typing
from typing import Any

__all__ = ["decode_for_sign", "decode_value", "encode_value", "may_need_jsonpickle", "type_name_of"]

_SCALARS = (bool, int, float, str, type(None))


def _plain_json(value: Any) -> bool:
    """Whether jsonpickle would write ``value`` exactly as ``json`` does."""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is list:
        return all(_plain_json(v) for v in value)
    if kind is dict:
        return all(type(k) is str and not k.startswith(("py/", "json://")) and _plain_json(v) for k, v in value.items())
    return False


def _tagged(data: Any) -> bool:
    """Whether decoded JSON carries jsonpickle tags (objects, tuples, non-string keys)."""
    if isinstance(data, list):
        return any(_tagged(v) for v in data)
    if isinstance(data, dict):
        return any(k.startswith(("py/", "json://")) or _tagged(v) for k, v in data.items())
    return False


def may_need_jsonpickle(text: str) -> bool:
    """Whether wire text (a value, or JSON holding values) may carry jsonpickle tags.

    Cheap and conservative: it also matches tags inside JSON-escaped strings (a spec's
    parameters), and a plain string that merely contains one says yes too.
    """
    return '"py/' in text or '"json://' in text


def encode_value(value: object) -> str:
    if isinstance(value, str):
        return value
    if type(value) is int:  # what json.dumps gives, without its cost (a 10,000-task DAG has 10,000)
        return str(value)
    if _plain_json(value):
        return json.dumps(value, separators=(",", ":"))
    from jsonpickle.pickler import Pickler

    return json.dumps(Pickler(keys=True).flatten(value, reset=True), separators=(",", ":"))


def decode_value(raw: str, type_name: str = "") -> Any:
    """Decode a wire string; ``type_name`` "str" keeps it as text, "" guesses."""
    if type_name in ("str", "<class 'str'>"):
        return raw
    try:
        data = json.loads(raw)
    except ValueError:  # not JSON: a plain string value of an untyped parameter
        return raw
    if not _tagged(data):
        return data
    from jsonpickle.unpickler import Unpickler

    return Unpickler(keys=True).restore(data, reset=True)


def type_name_of(tp: object) -> str:
    """A short, stable name for a declared type (recorded with values)."""
    if tp is None:
        return ""
    if isinstance(tp, type):
        return tp.__name__ if tp.__module__ == "builtins" else f"{tp.__module__}.{tp.__qualname__}"
    return str(tp)


def decode_for_sign(raw: str, declared: object) -> Any:
    """Decode ``raw`` for an input declared as ``declared``.

    A looped step's outputs reach a consumer as a list; on Argo each element is the
    *string* the pod wrote (``processAggregateNodeOutputs`` in Argo's
    workflow/controller/operator.go keeps them strings unless every one is a JSON list or
    map), so a ``list[float]`` consumer would get ``["40.1", ...]``. Elements that are
    strings are decoded as wire values when the declared element type is not ``str``,
    so every engine hands the OP the same values.
    """
    value = decode_value(raw, "str" if declared is str else "")
    if not isinstance(value, list) or not value or typing.get_origin(declared) not in (list, collections.abc.Sequence):
        return value
    args = typing.get_args(declared)
    element = args[0] if args else Any
    if element is str or element is Any:
        return value
    return [decode_value(v) if isinstance(v, str) else v for v in value]
