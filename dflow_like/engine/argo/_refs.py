"""Find the variable references in Argo strings: ``{{tag}}`` and ``{{=expression}}``.

Argo resolves ``{{inputs.parameters.x}}``-style tags by exact name and evaluates
``{{=...}}`` (and fields such as ``valueFrom.expression``) with expr-lang, where
the same variables appear as ``inputs.parameters['x']`` or ``steps.a.outputs.result``.
Both forms are reduced here to dotted names so one scope check serves them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ...expr.references import tags

__all__ = ["ROOTS", "Reference", "expression_references", "string_references"]

# Variable roots whose names we can check; any other {{...}} is left alone, as Argo does.
ROOTS = frozenset({"inputs", "steps", "tasks", "item", "workflow", "pod", "retries", "lastRetry", "node"})
_TOKEN = re.compile(
    r"""(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`)
      |(?P<name>[A-Za-z_$#][A-Za-z0-9_]*)
      |(?P<num>\d+(?:\.\d+)?)
      |(?P<op>\?\.|\S)""",
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Reference:
    """A dotted variable name; ``partial`` when it may be followed by more (expressions)."""

    name: str
    text: str  # as written, for messages
    partial: bool = False


def string_references(text: str) -> Iterator[Reference]:
    """Every checkable reference in one string value of a manifest."""
    for start, end, inner in tags(text, strict=False):
        tag = inner.strip()
        if tag.startswith("="):
            yield from expression_references(tag[1:], text[start:end])
        elif tag.split(".", 1)[0] in ROOTS:
            yield Reference(tag, text[start:end])


def expression_references(expr: str, text: str | None = None) -> Iterator[Reference]:
    """Variable chains rooted in :data:`ROOTS` inside an expr-lang expression."""
    tokens = [(m.lastgroup or "", m.group(0)) for m in _TOKEN.finditer(expr)]
    for i, (kind, value) in enumerate(tokens):
        after_dot = i > 0 and tokens[i - 1][1] in (".", "?.")
        if kind == "name" and value in ROOTS and not after_dot:
            name = _chain(tokens, i)
            yield Reference(name, text or expr, partial=True)


def _chain(tokens: list[tuple[str, str]], start: int) -> str:
    """``a.b['c'].d`` → ``a.b.c.d``, stopping at the first dynamic part."""
    parts = [tokens[start][1]]
    i = start + 1
    while i + 1 < len(tokens):
        op, (kind, value) = tokens[i][1], tokens[i + 1]
        if op in (".", "?.") and kind == "name":
            parts.append(value)
            i += 2
        elif op == "[" and kind == "str" and i + 2 < len(tokens) and tokens[i + 2][1] == "]":
            parts.append(value[1:-1])
            i += 3
        else:
            break
    return ".".join(parts)
