"""Pratt parser for the expr-lang subset; precedences follow expr-lang's operator table."""

from __future__ import annotations

from ._lexer import Token, tokenize
from ._nodes import (
    Array,
    Binary,
    Builtin,
    Call,
    Closure,
    Cond,
    Lit,
    MapLit,
    Member,
    Name,
    Node,
    Ptr,
    Slice,
    Unary,
)
from .errors import ExpressionError
from .limits import MAX_DEPTH

__all__ = ["PREDICATES", "parse"]

# (precedence, right-associative)
_BINARY: dict[str, tuple[int, bool]] = {
    "or": (10, False), "||": (10, False),
    "and": (15, False), "&&": (15, False),
    "==": (20, False), "!=": (20, False), "<": (20, False), ">": (20, False),
    "<=": (20, False), ">=": (20, False), "in": (20, False), "matches": (20, False),
    "contains": (20, False), "startsWith": (20, False), "endsWith": (20, False),
    "..": (25, False),
    "+": (30, False), "-": (30, False),
    "*": (60, False), "/": (60, False), "%": (60, False),
    "**": (100, True), "^": (100, True),
    "??": (500, False),
}  # fmt: skip
_WORD_OPS = frozenset({"or", "and", "in", "matches", "contains", "startsWith", "endsWith"})
_UNARY = {"not": 50, "!": 50, "-": 90, "+": 90}
_ALIASES = {"or": "||", "and": "&&", "not": "!", "^": "**"}
_LITERALS = {"true": True, "false": False, "nil": None}

#: Builtins whose second argument is a closure over the elements of the first.
PREDICATES = frozenset(
    {"all", "any", "one", "none", "map", "filter", "count", "find", "findIndex",
     "findLast", "findLastIndex", "sum"}
)  # fmt: skip


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        try:
            self.toks = tokenize(text)
        except ExpressionError as exc:
            raise self.at(exc.reason, exc.position or 0) from None
        self.i = 0
        self.nesting = 0  # recursion depth of expression(): bounded so parsing never hits Python's limit
        self.depths: dict[int, int] = {}  # id(node) -> height of its subtree (nodes live as long as the parse)

    def track(self, node: Node) -> Node:
        """Record ``node``'s height; refuse trees taller than ``MAX_DEPTH`` (compiling recurses on them)."""
        height = 1
        fields: tuple[str, ...] = node.__slots__
        for field in fields:
            child = getattr(node, field)
            for c in child if isinstance(child, tuple) else (child,):
                for n in c if isinstance(c, tuple) else (c,):
                    if isinstance(n, Node):
                        height = max(height, self.depths.get(id(n), 1) + 1)
        if height > MAX_DEPTH:
            raise self.error(f"expression nested too deeply (more than {MAX_DEPTH} levels)")
        self.depths[id(node)] = height
        return node

    # -- token helpers -------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def error(self, msg: str, tok: Token | None = None) -> ExpressionError:
        return self.at(msg, (tok or self.tok).pos)

    def at(self, msg: str, pos: int) -> ExpressionError:
        return ExpressionError(f"{msg} at position {pos} in expression {self.text!r}", position=pos, reason=msg)

    def is_op(self, value: str) -> bool:
        t = self.tok
        return t.kind == "op" and t.value == value

    def expect(self, value: str) -> Token:
        if not self.is_op(value):
            found = "end of expression" if self.tok.kind == "eof" else repr(self.tok.value)
            raise self.error(f"expected {value!r}, found {found}")
        t = self.tok
        self.i += 1
        return t

    def _binary_op(self) -> str | None:
        t = self.tok
        if t.kind == "op" and t.value in _BINARY:
            return str(t.value)
        if t.kind == "name":
            if t.value in _WORD_OPS:
                return str(t.value)
            nxt = self.toks[self.i + 1]
            if t.value == "not" and nxt.kind == "name" and nxt.value == "in":
                return "not in"
        return None

    # -- grammar -------------------------------------------------------------------------
    def expression(self, min_prec: int = 0) -> Node:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise self.error(f"expression nested too deeply (more than {MAX_DEPTH} levels)")
        try:
            return self._expression(min_prec)
        finally:
            self.nesting -= 1

    def _expression(self, min_prec: int) -> Node:
        t = self.tok
        if (t.kind == "op" or t.kind == "name") and t.value in _UNARY:
            self.i += 1
            left: Node = self.track(Unary(_ALIASES.get(t.value, t.value), self.expression(_UNARY[t.value])))
        else:
            left = self.postfix(self.primary())
        while True:
            op = self._binary_op()
            if op is None:
                break
            prec, right_assoc = _BINARY["in" if op == "not in" else op]
            if prec < min_prec or (prec == min_prec and not right_assoc):
                break
            self.i += 2 if op == "not in" else 1
            right = self.expression(prec if right_assoc else prec + 1)
            if op == "not in":
                left = self.track(Unary("!", self.track(Binary("in", left, right))))
            else:
                left = self.track(Binary(_ALIASES.get(op, op), left, right))
        if min_prec == 0 and self.is_op("?"):
            self.i += 1
            then = self.expression()
            self.expect(":")
            left = self.track(Cond(left, then, self.expression()))
        return left

    def primary(self) -> Node:
        t = self.tok
        self.i += 1
        if t.kind in ("num", "str"):
            return Lit(t.value)
        if t.kind == "ptr":
            return Ptr(str(t.value))
        if t.kind == "name":
            if t.value in _LITERALS:
                return Lit(_LITERALS[t.value])
            if self.is_op("(") and t.value in PREDICATES:
                return self.predicate(str(t.value))
            return Name(str(t.value))
        if t.kind == "op":
            if t.value == "(":
                inner = self.expression()
                self.expect(")")
                return inner
            if t.value == "[":
                return self.track(Array(tuple(self.items("]"))))
            if t.value == "{":
                return self.map_literal()
            if t.value == ".":  # ".field" is "#.field" inside a closure
                name = self.tok
                if name.kind != "name":
                    raise self.error("expected a field name after '.'")
                self.i += 1
                return self.track(Member(Ptr(""), Lit(name.value)))
        self.i -= 1
        found = "end of expression" if t.kind == "eof" else repr(t.value)
        raise self.error(f"unexpected {found}")

    def items(self, close: str) -> list[Node]:
        out: list[Node] = []
        while not self.is_op(close):
            out.append(self.expression())
            if not self.is_op(close):
                self.expect(",")
        self.i += 1
        return out

    def map_literal(self) -> Node:
        pairs: list[tuple[Node, Node]] = []
        while not self.is_op("}"):
            t = self.tok
            if t.kind in ("name", "str", "num"):
                key: Node = Lit(t.value)
                self.i += 1
            elif self.is_op("("):
                self.i += 1
                key = self.expression()
                self.expect(")")
            else:
                raise self.error("expected a map key")
            self.expect(":")
            pairs.append((key, self.expression()))
            if not self.is_op("}"):
                self.expect(",")
        self.i += 1
        return self.track(MapLit(tuple(pairs)))

    def predicate(self, name: str) -> Node:
        self.expect("(")
        args: list[Node] = [self.expression()]
        while self.is_op(","):
            self.i += 1
            if self.is_op("{"):
                self.i += 1
                args.append(self.track(Closure(self.expression())))
                self.expect("}")
            else:
                args.append(self.track(Closure(self.expression())))
        self.expect(")")
        return self.track(Builtin(name, tuple(args)))

    def postfix(self, node: Node) -> Node:
        while True:
            t = self.tok
            if t.kind != "op":
                return node
            if t.value in (".", "?."):
                self.i += 1
                name = self.tok
                if name.kind != "name":
                    raise self.error(f"expected a field name after {t.value!r}")
                self.i += 1
                node = self.track(Member(node, Lit(name.value), t.value == "?."))
            elif t.value == "[":
                self.i += 1
                lo: Node | None = None
                if not self.is_op(":"):
                    lo = self.expression()
                if self.is_op(":"):
                    self.i += 1
                    hi = None if self.is_op("]") else self.expression()
                    self.expect("]")
                    node = self.track(Slice(node, lo, hi))
                else:
                    self.expect("]")
                    assert lo is not None  # "[" then not ":" parsed an expression
                    node = self.track(Member(node, lo))
            elif t.value == "(":
                self.i += 1
                node = self.track(Call(node, tuple(self.items(")"))))
            else:
                return node


def parse(text: str) -> Node:
    """Parse one expression; raise ``ExpressionError`` with the position on bad syntax."""
    p = _Parser(text)
    if p.tok.kind == "eof":
        raise p.error("empty expression")
    node = p.expression()
    if p.tok.kind != "eof":
        raise p.error(f"unexpected {p.tok.value!r}")
    return node
