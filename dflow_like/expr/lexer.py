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
_NUMBER = re.compile(r"0[xX][0-9a-fA-F_]+|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?|\d[\d_]*[eE][+-]?\d+")
_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_POINTER = re.compile(r"#[A-Za-z_]*")
_OPS = (
    "??", "?.", "**", "==", "!=", "<=", ">=", "&&", "||", "..",
    "+", "-", "*", "/", "%", "^", "<", ">", "!", "?", ":", ".", ",",
    "(", ")", "[", "]", "{", "}",
)  # fmt: skip
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


def _number(lexeme: str) -> int | float:
    clean = lexeme.replace("_", "")
    if clean[:2] in ("0x", "0X"):
        return int(clean, 16)
    if "." in clean or "e" in clean or "E" in clean:
        return float(clean)
    return int(clean)


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
        if c.isdigit():
            m = _NUMBER.match(text, i)
            assert m is not None
            tokens.append(Token("num", _number(m.group()), i))
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
        for op in _OPS:
            if text.startswith(op, i):
                # "?." followed by a digit is a ternary over a number ("a ?.5 : 1").
                if op == "?." and i + 2 < n and text[i + 2].isdigit():
                    continue
                tokens.append(Token("op", op, i))
                i += len(op)
                break
        else:
            raise _err(f"unexpected character {c!r}", i)
    tokens.append(Token("eof", None, n))
    return tokens
