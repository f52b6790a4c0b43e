"""Tokens of the expr-lang subset Argo evaluates inside ``{{=...}}``.

Word operators (``and``, ``in``, ``matches``...) stay identifiers here; the parser gives
them meaning by position, as expr-lang does.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from .errors import ExpressionError

__all__ = ["Token", "tokenize"]


class Token(NamedTuple):
    kind: str  # "num" | "str" | "name" | "op" | "ptr" | "eof"
    value: Any
    pos: int


_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"0[xX][0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_POINTER = re.compile(r"#[A-Za-z_]*")
_OPS = (
    "??", "?.", "**", "==", "!=", "<=", ">=", "&&", "||", "..",
    "+", "-", "*", "/", "%", "^", "<", ">", "!", "?", ":", ".", ",",
    "(", ")", "[", "]", "{", "}",
)  # fmt: skip
_OP = re.compile("|".join(map(re.escape, _OPS)))  # two-character operators first, as listed
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "a": "\a",
    "0": "\0",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "`": "`",
}


def _err(reason: str, pos: int) -> ExpressionError:
    return ExpressionError(f"{reason} at position {pos}", position=pos, reason=reason)


def _read_string(text: str, start: int) -> tuple[str, int]:
    """Read a quoted literal starting at ``start``; return its value and the next index."""
    quote = text[start]
    i = start + 1
    if quote == "`":  # raw string: no escapes
        end = text.find("`", i)
        if end < 0:
            raise _err("unterminated string", start)
        return text[i:end], end + 1
    out: list[str] = []
    n = len(text)
    while i < n:
        c = text[i]
        if c == quote:
            return "".join(out), i + 1
        if c == "\\":
            if i + 1 >= n:
                break
            e = text[i + 1]
            if e in ("u", "x"):
                width = 4 if e == "u" else 2
                hexa = text[i + 2 : i + 2 + width]
                if len(hexa) != width or not all(h in "0123456789abcdefABCDEF" for h in hexa):
                    raise _err("invalid escape", i)
                out.append(chr(int(hexa, 16)))
                i += 2 + width
                continue
            if e not in _ESCAPES:
                raise _err(f"invalid escape '\\{e}'", i)
            out.append(_ESCAPES[e])
            i += 2
            continue
        out.append(c)
        i += 1
    raise _err("unterminated string", start)


_INT64 = 2**63


def _number(lexeme: str, pos: int) -> int | float:
    """A number literal as expr-lang's parser reads it: int64 or float64, else an error."""
    clean = lexeme.replace("_", "")
    if clean[:2] in ("0x", "0X"):
        if len(clean) == 2:
            raise _err(f"invalid hex literal {lexeme!r}", pos)
        value: int | float = int(clean, 16) if len(clean) <= 20 else _INT64
        kind = "hex"
    elif "." in clean or "e" in clean or "E" in clean:
        value = float(clean)
        if value == float("inf"):
            raise _err(f"invalid float literal {lexeme!r}: value out of range", pos)
        return value
    else:
        value = int(clean) if len(clean) <= 20 else _INT64
        kind = "integer"
    if value >= _INT64:
        raise _err(f"invalid {kind} literal {lexeme!r}: value out of range", pos)
    return value


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            m = _SPACE.match(text, i)
            assert m is not None
            i = m.end()
            continue
        if "0" <= c <= "9":
            m = _NUMBER.match(text, i)
            assert m is not None  # a digit always matches
            tokens.append(Token("num", _number(m.group(), i), i))
            i = m.end()
            continue
        if c in "'\"`":
            value, end = _read_string(text, i)
            tokens.append(Token("str", value, i))
            i = end
            continue
        m = _NAME.match(text, i)
        if m:
            tokens.append(Token("name", m.group(), i))
            i = m.end()
            continue
        if c == "#":
            m = _POINTER.match(text, i)
            assert m is not None
            tokens.append(Token("ptr", m.group()[1:], i))
            i = m.end()
            continue
        m = _OP.match(text, i)
        if m is None:
            raise _err(f"unexpected character {c!r}", i)
        op = m.group()
        # "?." followed by a digit is a ternary over a number ("a ?.5 : 1").
        if op == "?." and i + 2 < n and "0" <= text[i + 2] <= "9":
            op = "?"
        tokens.append(Token("op", op, i))
        i += len(op)
    tokens.append(Token("eof", None, n))
    return tokens
