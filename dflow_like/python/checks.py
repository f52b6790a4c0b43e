"""Checking values against signatures, with messages that name OP, field, expected and actual."""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from typing import Any

from .errors import SignatureError
from .opio import Artifact, OPIOSign, Parameter, _type_repr, field_kind

__all__ = ["check_opio", "describe_value"]


def describe_value(value: Any) -> str:
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
    if spec.type is Any:
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
