"""Argo ``withSequence`` expansion: ``count`` or ``end``, ``start``, printf ``format``.

Mirrors Argo's ``expandSequence``: fields are rendered, parsed as integers; with
``count`` the sequence is ``start .. start+count-1`` (empty for 0), with ``end`` it runs
from ``start`` to ``end`` inclusive, counting down when ``end < start``. The default
format is ``%d``; Go printf verbs ``d v x X o b c`` with flags/width are supported
(``%02d``, ``%-3d``, ``%x``...), and ``%%``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .builders import ArgoSequence
from .errors import ExpressionError
from .limits import check_chars, check_items
from .templates import render

__all__ = ["expand_sequence", "go_sprintf_int"]

_VERB = re.compile(r"%([-+# 0]*)(\d*)(?:\.(\d+))?([a-zA-Z%])")


def go_sprintf_int(fmt: str, value: int) -> str:
    """Go ``fmt.Sprintf(fmt, value)`` for one integer argument."""
    used = False

    def one(m: re.Match[str]) -> str:
        nonlocal used
        flags, width, prec, verb = m.group(1), m.group(2), m.group(3), m.group(4)
        if verb == "%":
            return "%"
        if used:
            return f"%!{verb}(MISSING)"
        used = True
        check_chars(max(int(width or 0), int(prec or 0)), f"withSequence format {fmt!r}")
        spec = "%" + flags + width + (f".{prec}" if prec else "")
        if verb in ("d", "v"):
            return (spec + "d") % value
        if verb in ("x", "X", "o"):
            return (spec + verb) % value
        if verb == "b":
            digits = format(abs(value), "b")
            text = ("-" if value < 0 else "") + digits
            pad = int(width) if width else 0
            fill = "0" if "0" in flags and "-" not in flags else " "
            return text.ljust(pad) if "-" in flags else text.rjust(pad, fill)
        if verb == "c":
            return chr(value)
        raise ExpressionError(f"unsupported format verb %{verb} in withSequence format {fmt!r}")

    return _VERB.sub(one, fmt)


def _int_field(name: str, value: Any, scope: Mapping[str, Any]) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ExpressionError(f"withSequence.{name} must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    text = render(str(value), scope).strip()
    try:
        return int(text)
    except ValueError:
        raise ExpressionError(f"withSequence.{name}: {text!r} (from {value!r}) is not an integer") from None


def expand_sequence(sequence: ArgoSequence | Mapping[str, Any], scope: Mapping[str, Any]) -> list[str]:
    """The items of a ``withSequence`` as strings (Argo items render as these texts)."""
    seq = sequence.to_dict() if isinstance(sequence, ArgoSequence) else dict(sequence)
    start = _int_field("start", seq.get("start"), scope) or 0
    end = _int_field("end", seq.get("end"), scope)
    count = _int_field("count", seq.get("count"), scope)
    if end is not None and count is not None:
        raise ExpressionError("withSequence: only one of count or end can be defined")
    if end is None:
        if count is None:
            raise ExpressionError("withSequence: neither end nor count was specified")
        if count < 0:
            raise ExpressionError(f"withSequence: count must not be negative, got {count}")
        if count == 0:
            return []
        end = start + count - 1
    fmt = seq.get("format") or "%d"
    check_items(abs(end - start) + 1, f"withSequence from {start} to {end}")
    step = 1 if start <= end else -1
    return [go_sprintf_int(fmt, i) for i in range(start, end + step, step)]
