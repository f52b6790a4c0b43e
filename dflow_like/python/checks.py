"""Checking values against signatures, with messages that name OP, field, expected and actual."""

from __future__ import annotations

import os
import types
from collections.abc import Mapping, MutableMapping
from typing import Any, Union, get_args, get_origin

from .errors import SignatureError
from .opio import Artifact, OPIOSign, Parameter, _type_repr, field_kind

__all__ = ["check_opio", "describe_value", "fast_accepts", "needs_typeguard"]

# Plain classes whose check is an isinstance (what typeguard does for them too), and
# the numeric tower typeguard follows (PEP 484: an int is a float, a float a complex).
_PLAIN = (int, str, bool, bytes, list, dict, tuple, set, frozenset, type(None))
_WIDENED: dict[Any, tuple[type, ...]] = {float: (int, float), complex: (int, float, complex)}
_CONTAINERS = (list, set, frozenset)
_UNIONS = (Union, types.UnionType)


def describe_value(value: object) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _is_pathlike_tree(value: Any) -> bool:
    if isinstance(value, (str, os.PathLike)):
        return True
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_is_pathlike_tree(v) for v in value)
    if isinstance(value, Mapping):
        return all(_is_pathlike_tree(v) for v in value.values())
    return False


def _fast_type(tp: Any) -> bool:
    """Whether ``fast_accepts`` decides ``tp`` on its own (no typeguard needed)."""
    if tp is Any or tp is None or tp in _PLAIN or tp in _WIDENED:
        return True
    origin, args = get_origin(tp), get_args(tp)
    if origin in _UNIONS or origin in _CONTAINERS or origin is dict:
        return all(_fast_type(a) for a in args)
    if origin is tuple:
        return all(a is Ellipsis or _fast_type(a) for a in args)
    return False


def fast_accepts(value: object, tp: object) -> bool:
    """True only if typeguard would accept ``value`` as ``tp``; False means "ask typeguard".

    Covers the builtin types most parameters use, so a step's process checks them
    without importing typeguard (~8 MB and ~40 ms); anything else, and every
    rejection (for typeguard's message), goes to typeguard.
    """
    if tp is Any:
        return True
    if tp is None:
        return value is None
    if tp in _PLAIN:
        return isinstance(value, tp)
    if tp in _WIDENED:
        return isinstance(value, _WIDENED[tp])
    origin, args = get_origin(tp), get_args(tp)
    if origin in _UNIONS:
        return any(fast_accepts(value, a) for a in args)
    if origin in _CONTAINERS:
        return isinstance(value, origin) and (not args or all(fast_accepts(v, args[0]) for v in value))
    if origin is dict:
        if not isinstance(value, dict):
            return False
        if not args:
            return True
        key, item = args
        return all(fast_accepts(k, key) and fast_accepts(v, item) for k, v in value.items())
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(fast_accepts(v, args[0]) for v in value)
        if args == ((),):  # tuple[()]: the empty tuple
            return not value
        return len(args) == len(value) and all(fast_accepts(v, a) for v, a in zip(value, args))
    return False


def needs_typeguard(*signs: OPIOSign) -> bool:
    """Whether checking values against these signs may import typeguard on success."""
    for sign in signs:
        for raw_spec in sign.values():
            spec = field_kind(raw_spec)
            if isinstance(spec, Parameter) and not _fast_type(spec.type):
                return True
    return False


def _check_field(owner: str, direction: str, name: str, value: Any, spec: Parameter | Artifact) -> None:
    if isinstance(spec, Artifact):
        if value is None and spec.optional:
            return
        if not _is_pathlike_tree(value):
            raise SignatureError(
                f"{owner}: {direction} artifact {name!r}: expected {_type_repr(spec.type)} "
                f"(paths), got {describe_value(value)}"
            )
        return
    if fast_accepts(value, spec.type):
        return
    from typeguard import CollectionCheckStrategy, TypeCheckError, check_type  # ~40 ms: only when needed

    try:
        check_type(value, spec.type, collection_check_strategy=CollectionCheckStrategy.ALL_ITEMS)
    except TypeCheckError as exc:
        raise SignatureError(
            f"{owner}: {direction} parameter {name!r}: expected {_type_repr(spec.type)}, "
            f"got {describe_value(value)} ({exc})"
        ) from None


def check_opio(owner: str, opio: Any, sign: OPIOSign, is_input: bool) -> None:
    """Fill defaults, then check names and types; raise ``SignatureError`` on the first problem.

    ``owner`` names who is checked (e.g. ``"OP Duplicate"``). Defaults are filled in
    place, as dflow does, so an OP sees every declared input.
    """
    direction = "input" if is_input else "output"
    if not isinstance(opio, MutableMapping):
        raise SignatureError(f"{owner}: {direction}s must be an OPIO/dict, got {describe_value(opio)}")
    for name, raw_spec in sign.items():
        spec = field_kind(raw_spec)
        if name not in opio:
            if isinstance(spec, Parameter) and spec.has_default:
                opio[name] = spec.default
                continue
            if isinstance(spec, Artifact) and spec.optional:
                opio[name] = None
                continue
            where = "passed to" if is_input else "returned by"
            raise SignatureError(
                f"{owner}: {direction} {name!r} is declared in the {direction} sign but not {where} the OP"
            )
        _check_field(owner, direction, name, opio[name], spec)
    for name in opio:
        if name not in sign:
            declared = ", ".join(sign) or "none"
            raise SignatureError(
                f"{owner}: {direction} {name!r} is not declared in the {direction} sign (declared: {declared})"
            )
