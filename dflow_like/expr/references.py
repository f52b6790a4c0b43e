"""``{{...}}`` references, parsed in one place for the definitions, both engines and the compiler.

A tag runs from ``{{`` to the first ``}}`` (Argo's fasttemplate rule, ``valyala/fasttemplate``
as used by ``workflow/common/util.go`` ``Replace``): ``{{ a.b.c }}`` names a variable by its
dotted path (spaces around it ignored), ``{{=expr}}`` is an expr-lang expression. A value
that is exactly one such tag is a *whole reference*: a step argument passed on as it is.
"""

from __future__ import annotations

import re

from .errors import ExpressionError

__all__ = ["PATH", "artifact_reference", "output_reference", "tags", "whole_reference"]

PATH = re.compile(r"[A-Za-z0-9_][\w\-]*(?:\.[\w\-]+)*\Z")  # a variable's dotted path


def tags(text: str, strict: bool = True) -> list[tuple[int, int, str]]:
    """``(start, end, inner)`` of each ``{{...}}`` in ``text``; an unclosed ``{{`` raises
    ``ExpressionError`` (``strict``) or ends the scan."""
    out: list[tuple[int, int, str]] = []
    i = text.find("{{")
    while i >= 0:
        j = text.find("}}", i + 2)
        if j < 0:
            if not strict:
                break
            reason = "unclosed '{{'"
            raise ExpressionError(f"{reason} at position {i} in {text!r}", position=i, reason=reason)
        out.append((i, j + 2, text[i + 2 : j]))
        i = text.find("{{", j + 2)
    return out


def whole_reference(text: str) -> tuple[str, ...] | None:
    """The path of a value that is one ``{{a.b.c}}`` tag and nothing else (``("a", "b", "c")``), else None."""
    stripped = text.strip()
    if not (stripped.startswith("{{") and stripped.endswith("}}")) or stripped.find("}}") != len(stripped) - 2:
        return None
    inner = stripped[2:-2].strip()
    return tuple(inner.split(".")) if PATH.match(inner) else None


def output_reference(text: str, kind: str) -> tuple[str, str, str] | None:
    """``{{steps.a.outputs.<kind>.x}}`` → ``("steps", "a", "x")`` (``tasks`` likewise), else None."""
    path = whole_reference(text)
    if path is not None and len(path) == 5 and path[0] in ("steps", "tasks") and path[2:4] == ("outputs", kind):
        return path[0], path[1], path[4]
    return None


def artifact_reference(text: str) -> tuple[str | None, str | None, str] | None:
    """``{{steps.a.outputs.artifacts.x}}`` → ("steps", "a", "x"); ``{{inputs.artifacts.x}}`` → (None, None, "x")."""
    path = whole_reference(text)
    if path is not None and len(path) == 3 and path[:2] == ("inputs", "artifacts"):
        return None, None, path[2]
    return output_reference(text, "artifacts")
