"""Argo template strings: ``{{path.to.value}}`` references and ``{{=expr}}`` expressions.

A tag runs from ``{{`` to the first ``}}`` (Argo's fasttemplate rule, so an expression
must not contain ``}}``; write ``{ {'a': 1} }`` with a space). Rendering:

* ``{{a.b.c}}`` (spaces around the path are ignored) walks the nested scope; a key may
  also contain dots (``{"a.b": ...}``). Strings render as they are; other values as
  compact JSON in their own key order (Argo passes item JSON through unchanged).
* ``{{=expr}}`` evaluates expr-lang; a string result renders as it is, anything else as
  Go ``json.Marshal`` text (``6.0`` → ``6``, sorted keys), exactly like Argo 3.5+.
  A ``nil`` result is an error, as in Argo.

Parsed templates are cached (LRU); text without ``{{`` is returned untouched at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ._functions import FUNCTIONS
from ._gofmt import go_json
from ._govaluate import evaluate_govaluate, parse_govaluate
from ._nodes import Builtin, Call, Closure, Member, Name, Node, Slice
from ._nodes import Lit as _Lit
from ._parser import parse
from .errors import ExpressionError
from .evaluator import _Ctx, compile_expression, run_program
from .references import PATH, tags

__all__ = ["check_syntax", "evaluate_when", "render", "template_references"]

_MISSING = object()


class _Ref:
    __slots__ = ("path", "raw", "start")

    def __init__(self, raw: str, start: int) -> None:
        self.raw = raw
        self.start = start
        self.path = tuple(raw.split("."))


class _Expr:
    __slots__ = ("program", "raw", "start")

    def __init__(self, raw: str, start: int) -> None:
        self.raw = raw
        self.start = start  # offset of its "{{" in the template, for error positions
        self.program = compile_expression(raw)


_Segment = str | _Ref | _Expr


def _check_ref(inner: str, start: int, text: str) -> str:
    ref = inner.strip()
    if not PATH.match(ref):
        reason = f"malformed reference '{{{{{inner}}}}}'"
        raise ExpressionError(f"{reason} at position {start} in {text!r}", position=start, reason=reason)
    return ref


def _at(reason: str, pos: int, text: str) -> ExpressionError:
    return ExpressionError(f"{reason} at position {pos} in {text!r}", position=pos, reason=reason)


def _expr_error(exc: ExpressionError, start: int, text: str) -> ExpressionError:
    """Re-anchor an error inside ``{{=...}}`` (starting at ``start``) to the whole text."""
    pos = start if exc.position is None else start + 3 + exc.position
    return ExpressionError(f"{exc.reason} at position {pos} in {text!r}", position=pos, reason=exc.reason)


@lru_cache(maxsize=4096)
def _segments(text: str) -> tuple[_Segment, ...]:
    segs: list[_Segment] = []
    last = 0
    for start, end, inner in tags(text):
        if start > last:
            segs.append(text[last:start])
        if inner.startswith("="):
            try:
                segs.append(_Expr(inner[1:], start))
            except ExpressionError as exc:
                raise _expr_error(exc, start, text) from None
        else:
            segs.append(_Ref(_check_ref(inner, start, text), start))
        last = end
    if last < len(text):
        segs.append(text[last:])
    return tuple(segs)


def _lookup(scope: Any, path: tuple[str, ...]) -> Any:
    value = scope
    i, n = 0, len(path)
    while i < n:
        if isinstance(value, Mapping):
            key = path[i]
            if key in value:
                value = value[key]
                i += 1
                continue
            for j in range(n, i + 1, -1):  # a key that itself contains dots
                joined = ".".join(path[i:j])
                if joined in value:
                    value = value[joined]
                    i = j
                    break
            else:
                return _MISSING
        elif isinstance(value, list) and path[i].isdigit() and int(path[i]) < len(value):
            value = value[int(path[i])]
            i += 1
        else:
            return _MISSING
    return value


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def render(text: str, scope: Mapping[str, Any]) -> str:
    """Substitute every ``{{ref}}`` and ``{{=expr}}`` in ``text``."""
    if "{{" not in text:
        return text
    parts: list[str] = []
    ctx: _Ctx | None = None
    for seg in _segments(text):
        if type(seg) is str:
            parts.append(seg)
        elif type(seg) is _Ref:
            value = _lookup(scope, seg.path)
            if value is _MISSING:
                raise _at(f"unknown reference '{{{{{seg.raw}}}}}'", seg.start, text)
            parts.append(value if type(value) is str else _text_of(value))
        else:
            assert isinstance(seg, _Expr)
            if ctx is None:
                ctx = _Ctx(scope)
            try:
                value = run_program(seg.program, ctx)
            except ExpressionError as exc:
                raise _at(f"{exc} (in '{{{{={seg.raw}}}}}')", seg.start, text) from None
            if value is None:
                raise _at(f"expression '{{{{={seg.raw}}}}}' evaluated to nil", seg.start, text)
            if type(value) is str:
                parts.append(value)
            else:
                try:
                    parts.append(go_json(value))
                except (ValueError, RecursionError) as exc:
                    raise _at(f"{exc} (in '{{{{={seg.raw}}}}}')", seg.start, text) from None
    return "".join(parts)


def evaluate_when(text: str, scope: Mapping[str, Any]) -> bool:
    """Argo ``when``: render, then evaluate the result with govaluate rules."""
    rendered = render(text, scope)
    try:
        return evaluate_govaluate(rendered)
    except ExpressionError as exc:
        if rendered == text:  # positions in the rendered text are positions in the text
            raise ExpressionError(f"when {text!r}: {exc}", position=exc.position, reason=exc.reason) from None
        raise ExpressionError(f"when {text!r} (rendered {rendered!r}): {exc}") from None


# -- static checks -------------------------------------------------------------------------


def check_syntax(text: str, *, when: bool = False) -> None:
    """Raise ``ExpressionError`` (with position) for a malformed template; evaluate nothing.

    With ``when=True`` the text must also parse as a ``when`` condition once its tags are
    substituted (each tag stands in as one bare word, as a rendered value usually is).
    """
    if "{{" in text:
        _segments(text)
    elif "}}" not in text and not when:
        return
    if when:
        _check_when(text)


def _check_when(text: str) -> None:
    """Parse ``text`` as govaluate with each tag replaced by a bare word ``v``."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []  # (offset in stand-in text, offset in text)
    last = 0
    length = 0
    for start, end, _inner in tags(text):
        literal = text[last:start]
        spans.append((length, last))
        parts.append(literal + " v ")
        length += len(literal)
        spans.append((length, -start - 1))  # negative: inside the stand-in of a tag
        length += 3
        last = end
    spans.append((length, last))
    parts.append(text[last:])
    try:
        parse_govaluate("".join(parts))
    except ExpressionError as exc:
        pos = len(text)
        if exc.position is not None:
            for at, orig in spans:
                if at <= exc.position:
                    pos = (-orig - 1) if orig < 0 else orig + exc.position - at
        raise ExpressionError(
            f"malformed 'when' {text!r}: {exc.reason} at position {pos}",
            position=pos,
            reason=exc.reason,
        ) from None


def _collect(node: Node, out: list[str]) -> None:
    """Dotted paths of member chains rooted at scope names (not functions, not ``sprig``)."""
    keys: list[str] = []
    cur = node
    while isinstance(cur, (Member, Slice)):
        if isinstance(cur, Member) and isinstance(cur.key, _Lit) and isinstance(cur.key.value, str):
            keys.append(cur.key.value)
        else:
            keys.clear()  # a dynamic step ends the static path
            if isinstance(cur, Member):
                _collect(cur.key, out)
            else:
                for part in (cur.lo, cur.hi):
                    if part is not None:
                        _collect(part, out)
        cur = cur.obj
    if cur is not node and isinstance(cur, Name):
        if cur.name != "sprig":
            out.append(".".join([cur.name, *reversed(keys)]))
        return
    if cur is not node:
        _collect(cur, out)
        return
    if isinstance(node, Name):
        if node.name != "sprig":
            out.append(node.name)
        return
    if isinstance(node, Call):
        builtin = isinstance(node.func, Name) and node.func.name in FUNCTIONS
        if not builtin and not _is_sprig(node.func):
            _collect(node.func, out)
        for a in node.args:
            _collect(a, out)
        return
    if isinstance(node, (Builtin,)):
        for a in node.args:
            _collect(a, out)
        return
    if isinstance(node, Closure):
        _collect(node.body, out)
        return
    for field in getattr(node, "__slots__", ()):
        child = getattr(node, field)
        if isinstance(child, Node):
            _collect(child, out)
        elif isinstance(child, tuple):
            for c in child:
                if isinstance(c, Node):
                    _collect(c, out)
                elif isinstance(c, tuple):
                    for cc in c:
                        if isinstance(cc, Node):
                            _collect(cc, out)


def _is_sprig(node: Node) -> bool:
    while isinstance(node, Member):
        node = node.obj
    return isinstance(node, Name) and node.name == "sprig"


@lru_cache(maxsize=1024)
def _references(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for start, _end, inner in tags(text):
        if inner.startswith("="):
            try:
                node = parse(inner[1:])
            except ExpressionError as exc:
                raise _expr_error(exc, start, text) from None
            _collect(node, out)
        else:
            out.append(_check_ref(inner, start, text))
    return tuple(dict.fromkeys(out))


def template_references(text: str) -> list[str]:
    """Every dotted reference a template uses, in order, without duplicates.

    ``steps['a'].outputs.parameters['x']`` inside an expression is normalised to
    ``steps.a.outputs.parameters.x``; a chain ends at its first dynamic index
    (``jsonpath(...)[0]``, ``a[#]``), and function names and ``sprig`` are not references.
    """
    if "{{" not in text:
        return []
    return list(_references(text))
