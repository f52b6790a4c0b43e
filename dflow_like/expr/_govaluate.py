"""Argo's ``when`` evaluator: govaluate after template substitution.

Argo renders the ``when`` text, parses it with govaluate, turns every bare *variable*
token into a string (so ``heads == heads`` compares two strings; Argo's coin-flip example
relies on this) and evaluates with no parameters. Reproduced rules:

* Numbers are float64: ``1 == 1.0``; ``"1" == 1`` is false (different types).
* ``<``/``<=``/``>``/``>=`` compare two numbers or two strings (lexicographically);
  mixing them is an error. ``+`` concatenates when either side is a string.
* Strings are quoted with ``'`` or ``"`` (either quote ends them; ``\\`` escapes).
* A bare word starts with a letter and continues with letters, digits and ``_``; a word
  containing ``.`` is a govaluate *accessor*, which Argo does not convert, so it fails
  (as in Argo). ``true``/``false`` are booleans; ``in`` tests membership in ``(a, b)``.
* ``&&``, ``||``, ``!``, ternary ``? :``, ``??``, ``=~``/``!~`` (regex), ``- * / % **``.
* Not reproduced: govaluate's date parsing of quoted strings, bitwise operators.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ._gofmt import go_str
from .errors import ExpressionError
from .limits import MAX_DEPTH, compile_regex

__all__ = ["evaluate_govaluate", "parse_govaluate"]

_SYMBOLS = {
    "prefix": {"-", "!"},
    "modifier": {"+", "-", "*", "/", "%", "**"},
    "logical": {"&&", "||"},
    "comparator": {"==", "!=", ">", ">=", "<", "<=", "=~", "!~"},
    "ternary": {"?", ":", "??"},
}
_SYMBOL_CHARS = re.compile(r"[^\sA-Za-z0-9()\[\]'\"]+")
_NUMBER = re.compile(r"[0-9.]+")
_WORD = re.compile(r"[^\W][\w.]*")

Tok = tuple[str, Any, int]  # (kind, value, pos); kinds: num str bool word acc op ( ) ,
Node = Callable[[], Any]
_MAX_NESTING = MAX_DEPTH // 2  # parentheses cost ~10 parser frames each


def _lex(text: str) -> list[Tok]:
    out: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if "0" <= c <= "9" or c == ".":
            m = _NUMBER.match(text, i)
            assert m is not None  # a digit or "." always matches
            try:
                out.append(("num", float(m.group()), i))
            except ValueError:
                msg = f"Unable to parse numeric value '{m.group()}' to float64"
                raise ExpressionError(f"{msg} at position {i}", position=i, reason=msg) from None
            i = m.end()
            continue
        if c == ",":
            out.append((",", c, i))
            i += 1
            continue
        if c in "()":
            out.append((c, c, i))
            i += 1
            continue
        if c == "[":
            end = text.find("]", i)
            if end < 0:
                msg = "unclosed parameter bracket"
                raise ExpressionError(f"{msg} at position {i}", position=i, reason=msg)
            out.append(("acc", text[i + 1 : end], i))
            i = end + 1
            continue
        if c.isalpha():
            m = _WORD.match(text, i)
            assert m is not None  # a letter always matches
            word = m.group()
            if word in ("true", "false"):
                out.append(("bool", word == "true", i))
            elif word in ("in", "IN"):
                out.append(("op", "in", i))
            elif "." in word:
                out.append(("acc", word, i))
            else:
                out.append(("str", word, i))  # Argo: variables become strings
            i = m.end()
            continue
        if c in "'\"":
            j, buf = i + 1, []
            while j < n and text[j] not in "'\"":
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                msg = "unclosed string literal"
                raise ExpressionError(f"{msg} at position {i}", position=i, reason=msg)
            out.append(("str", "".join(buf), i))
            i = j + 1
            continue
        m = _SYMBOL_CHARS.match(text, i)
        sym = m.group() if m else c
        if not any(sym in group for group in _SYMBOLS.values()):
            msg = f"Invalid token: '{sym}' (hint: try wrapping the affected expression in quotes)"
            raise ExpressionError(f"{msg} at position {i}", position=i, reason=msg)
        out.append(("op", sym, i))
        i += len(sym)
    return out


class _Parser:
    """Recursive descent with govaluate's precedence (ternary lowest, then ``||``...)."""

    def __init__(self, text: str) -> None:
        self.text = text
        try:
            self.toks = _lex(text)
        except ExpressionError as exc:
            pos = exc.position or 0
            raise ExpressionError(
                f"{exc.reason} at position {pos} in 'when' expression {text!r}", position=pos, reason=exc.reason
            ) from None
        self.i = 0
        # Bounds so parsing (about ten frames per parenthesis) and evaluating (one closure call
        # per level of the tree) never reach Python's recursion limit; see limits.py.
        self.nesting = 0
        self.heights: dict[int, int] = {}

    def _nest(self) -> None:
        self.nesting += 1
        if self.nesting > _MAX_NESTING:
            raise self.error(f"expression nested too deeply (more than {_MAX_NESTING} levels)")

    def _tall(self, node: Node, *children: Node) -> Node:
        height = 1 + max((self.heights.get(id(c), 1) for c in children), default=0)
        if height > MAX_DEPTH:
            raise self.error(f"expression nested too deeply (more than {MAX_DEPTH} levels)")
        self.heights[id(node)] = height
        return node

    def error(self, msg: str) -> ExpressionError:
        pos = self.toks[self.i][2] if self.i < len(self.toks) else len(self.text)
        return ExpressionError(f"{msg} at position {pos} in 'when' expression {self.text!r}", position=pos, reason=msg)

    def peek_op(self, *ops: str) -> str | None:
        if self.i < len(self.toks):
            kind, value, _ = self.toks[self.i]
            if kind == "op" and value in ops:
                return str(value)
        return None

    def parse(self) -> Node:
        if not self.toks:
            raise self.error("empty expression")
        node = self.ternary()
        if self.i < len(self.toks):
            raise self.error(f"unexpected {self.toks[self.i][1]!r}")
        return node

    def ternary(self) -> Node:
        self._nest()
        try:
            return self._ternary()
        finally:
            self.nesting -= 1

    def _ternary(self) -> Node:
        cond = self.binary(0)
        if self.peek_op("?"):
            test = _located(self.toks[self.i][2], lambda: _bool(cond(), "?"))
            self.i += 1
            then = self.ternary()
            if not self.peek_op(":"):
                raise self.error("expected ':'")
            self.i += 1
            other = self.ternary()
            return self._tall(lambda: then() if test() else other(), cond, then, other)
        if self.peek_op("??"):
            self.i += 1
            right = self.ternary()
            return self._tall(lambda: _coalesce(cond(), right), cond, right)
        return cond

    _LEVELS: tuple[tuple[str, ...], ...] = (
        ("||",),
        ("&&",),
        ("==", "!=", ">", ">=", "<", "<=", "=~", "!~", "in"),
        ("+", "-"),
        ("*", "/", "%"),
        ("**",),
    )

    def binary(self, level: int) -> Node:
        if level == len(self._LEVELS):
            return self.prefix()
        left = self.binary(level + 1)
        while op := self.peek_op(*self._LEVELS[level]):
            pos = self.toks[self.i][2]
            self.i += 1
            right = self.binary(level + 1)
            left = self._tall(_located(pos, _binary(op, left, right)), left, right)
        return left

    def prefix(self) -> Node:
        op = self.peek_op("-", "!")
        if op:
            pos = self.toks[self.i][2]
            self.i += 1
            self._nest()
            try:
                x = self.prefix()
            finally:
                self.nesting -= 1
            if op == "!":
                return self._tall(_located(pos, lambda: not _bool(x(), "!")), x)
            return self._tall(_located(pos, lambda: -_num(x(), "-")), x)
        return self.value()

    def value(self) -> Node:
        if self.i >= len(self.toks):
            raise self.error("unexpected end of expression")
        kind, value, at = self.toks[self.i]
        self.i += 1
        if kind in ("num", "str", "bool"):
            return lambda: value
        if kind == "acc":
            name = str(value).split(".")[0]

            def missing() -> Any:
                reason = f"No parameter '{name}' found."
                raise ExpressionError(f"{reason} at position {at}", position=at, reason=reason)

            return missing
        if kind == "(":
            items = [self.ternary()]
            while self.i < len(self.toks) and self.toks[self.i][0] == ",":
                self.i += 1
                items.append(self.ternary())
            if self.i >= len(self.toks) or self.toks[self.i][0] != ")":
                raise self.error("unbalanced parenthesis")
            self.i += 1
            if len(items) == 1:
                return items[0]
            return self._tall(lambda: [f() for f in items], *items)
        self.i -= 1
        raise self.error(f"unexpected {value!r}")


def _located(pos: int, node: Node) -> Node:
    """``node``, whose own failure (a type mismatch, a bad regex) names its operator's position."""

    def run() -> Any:
        try:
            return node()
        except ExpressionError as exc:
            if exc.position is not None:  # an operand's failure, already placed
                raise
            raise ExpressionError(f"{exc} at position {pos}", position=pos, reason=str(exc)) from None

    return run


def _bool(v: Any, op: str) -> bool:
    if isinstance(v, bool):
        return v
    raise ExpressionError(f"Value '{go_str(v)}' cannot be used with the operator '{op}', it is not a bool")


def _num(v: Any, op: str) -> float:
    if isinstance(v, float):
        return v
    raise ExpressionError(f"Value '{go_str(v)}' cannot be used with the modifier '{op}', it is not a number")


def _coalesce(v: Any, right: Node) -> Any:
    return right() if v is None else v


_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compare(op: str, a: Any, b: Any) -> bool:
    x, y = a, b
    if not ((isinstance(x, float) and isinstance(y, float)) or (isinstance(x, str) and isinstance(y, str))):
        bad = x if not isinstance(x, (float, str)) or isinstance(y, str) else y
        raise ExpressionError(f"Value '{go_str(bad)}' cannot be used with the comparator '{op}', it is not a number")
    return bool(_ORDER[op](x, y))


def _arith(op: str, a: Any, b: Any) -> Any:
    if op == "+" and (isinstance(a, str) or isinstance(b, str)):
        return go_str(a) + go_str(b)
    x, y = _num(a, op), _num(b, op)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "/":
        if y == 0:
            return math.nan if x == 0 else math.copysign(math.inf, x)
        return x / y
    if op == "%":
        return _go_mod(x, y)
    return _go_pow(x, y)


def _go_mod(x: float, y: float) -> float:
    """Go ``math.Mod`` (govaluate's ``%``): sign of the dividend; NaN for a zero divisor or infinite dividend."""
    if y == 0 or math.isinf(x) or math.isnan(x) or math.isnan(y):
        return math.nan
    return math.fmod(x, y)


def _go_pow(x: float, y: float) -> float:
    """Go ``math.Pow``: overflow is ±Inf, a negative base to a fractional power NaN."""
    try:
        return math.pow(x, y)
    except OverflowError:
        odd = y.is_integer() and int(y) % 2 == 1
        return -math.inf if x < 0 and odd else math.inf
    except ValueError:
        return math.inf if x == 0 else math.nan


def _binary(op: str, left: Node, right: Node) -> Node:
    if op == "&&":
        return lambda: _bool(left(), op) and _bool(right(), op)
    if op == "||":
        return lambda: _bool(left(), op) or _bool(right(), op)
    if op == "==":
        return lambda: _same(left(), right())
    if op == "!=":
        return lambda: not _same(left(), right())
    if op in ("<", "<=", ">", ">="):
        return lambda: _compare(op, left(), right())
    if op in ("=~", "!~"):
        return lambda: _regex(op, left(), right())
    if op == "in":
        return lambda: _member(left(), right())
    return lambda: _arith(op, left(), right())


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and bool(a == b)


def _regex(op: str, a: Any, b: Any) -> bool:
    if not (isinstance(a, str) and isinstance(b, str)):
        raise ExpressionError(f"Value cannot be used with the comparator '{op}', it is not a string")
    hit = compile_regex(b, f"comparator '{op}'").search(a) is not None  # RE2: Go's regexp, linear time
    return hit if op == "=~" else not hit


def _member(a: Any, b: Any) -> bool:
    if not isinstance(b, list):
        b = [b]
    return any(_same(a, x) for x in b)


@lru_cache(maxsize=2048)
def parse_govaluate(text: str) -> Node:
    """Parse a rendered ``when`` text; raises ``ExpressionError`` with the position."""
    return _Parser(text).parse()


def evaluate_govaluate(text: str) -> bool:
    """Evaluate a rendered ``when`` text like Argo's ``shouldExecute``."""
    result = parse_govaluate(text)()
    if not isinstance(result, bool):
        reason = f"Expected boolean evaluation for {text!r}. Got {go_str(result)}"
        raise ExpressionError(reason, position=0, reason=reason)
    return result
