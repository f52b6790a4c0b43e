"""Evaluate expr-lang expressions by compiling the syntax tree into Python closures once.

Compiled programs are cached per expression text (LRU), so evaluating the same
``{{=...}}`` for every slice item costs only the closure calls.

Semantics (expr-lang as used by Argo 3.x):

* Missing keys of a map read as ``nil`` (as in expr-lang); an unknown top-level name is
  an error. Indexing a list out of range, or reading a member of ``nil``, is an error;
  ``a?.b`` reads ``nil`` instead.
* Arithmetic is on numbers only (``"5" + 1`` is an error, ``"a" + "b"`` concatenates);
  ``/`` always gives a float, ``%`` needs integers and truncates like Go, ``**`` gives a
  float. Ordering compares two numbers or two strings; mixing them is an error (so
  ``inputs.parameters.x < 3`` on the wire string ``"5"`` fails, which is why dflow
  wraps operands in ``asFloat``). ``==`` never errors: values of different kinds are
  unequal, and ints equal floats numerically.
* ``&&``, ``||``, ``!`` and the ternary condition need booleans and short-circuit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from functools import lru_cache
from typing import Any

from ._functions import FUNCTIONS, SPRIG, is_number, sum_values, type_name
from ._gofmt import go_str
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
from ._parser import parse
from .errors import ExpressionError
from .limits import check_items, compile_regex, deadline, past

__all__ = ["compile_expression", "evaluate", "run_program"]

_NAMES: dict[str, Any] = {"sprig": SPRIG}


class _Ctx:
    """What a compiled closure sees: the scope and the current closure element."""

    __slots__ = ("acc", "deadline", "index", "ptr", "scope")

    def __init__(self, scope: Mapping[str, Any], ptr: Any = None, index: int = 0) -> None:
        self.scope = scope
        self.ptr = ptr
        self.index = index
        self.acc: Any = None
        self.deadline = deadline()  # predicate loops stop here (see limits.py)


Program = Callable[[_Ctx], Any]


def _fail(msg: str) -> ExpressionError:
    return ExpressionError(msg)


# -- member access -------------------------------------------------------------------------


def _fetch(obj: Any, key: Any) -> Any:
    if isinstance(obj, Mapping):
        try:
            return obj.get(key)
        except TypeError:  # an unhashable key (a list or map) is in no map
            raise _fail(f"cannot use {type_name(key)} as a map key") from None
    if isinstance(obj, (list, tuple, str)):
        if not is_number(key) or (isinstance(key, float) and not key.is_integer()):
            raise _fail(f"cannot use {type_name(key)} {go_str(key)} as an index to an array")
        i = int(key)
        n = len(obj)
        if i < -n or i >= n:
            raise _fail(f"index out of range: {i} (array length is {n})")
        return obj[i]
    if obj is None:
        raise _fail(f"cannot fetch {go_str(key)} from nil")
    raise _fail(f"cannot fetch {go_str(key)} from {type_name(obj)}")


def _path_getter(root: str, keys: tuple[Any, ...]) -> Program:
    """Fast path for ``a.b['c'].d`` chains with constant keys (the common reference)."""

    def run(ctx: _Ctx) -> Any:
        scope = ctx.scope
        if root in scope:
            value = scope[root]
        elif root in _NAMES:
            value = _NAMES[root]
        else:
            raise _fail(f"unknown name {root}")
        for k in keys:
            value = value.get(k) if isinstance(value, Mapping) else _fetch(value, k)
        return value

    return run


# -- operators -----------------------------------------------------------------------------


def _equal(a: Any, b: Any) -> bool:
    if is_number(a) and is_number(b):
        return bool(a == b)
    if type_name(a) != type_name(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def _mismatch(op: str, a: Any, b: Any) -> ExpressionError:
    return _fail(
        f"invalid operation: {op} (mismatched types {type_name(a)} and {type_name(b)}) "
        f"with {go_str(a)!r} and {go_str(b)!r}"
    )


def _add(a: Any, b: Any) -> Any:
    if is_number(a) and is_number(b):
        return a + b
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return [*a, *b]
    raise _mismatch("+", a, b)


def _arith(op: str, fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def run(a: Any, b: Any) -> Any:
        if is_number(a) and is_number(b):
            return fn(a, b)
        raise _mismatch(op, a, b)

    return run


def _div(a: Any, b: Any) -> float:
    """Float division; dividing by zero gives ±Inf/NaN like Go float64 instead of raising."""
    x, y = float(a), float(b)
    if y == 0:
        if x == 0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


def _mod(a: Any, b: Any) -> int:
    if not (isinstance(a, int) and isinstance(b, int)):
        raise _fail(f"invalid operation: % (mismatched types {type_name(a)} and {type_name(b)})")
    if b == 0:
        raise _fail("integer divide by zero")
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def _order(op: str, fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def run(a: Any, b: Any) -> bool:
        if (is_number(a) and is_number(b)) or (isinstance(a, str) and isinstance(b, str)):
            return fn(a, b)
        raise _mismatch(op, a, b)

    return run


def _pow(a: Any, b: Any) -> float:
    """Go ``math.Pow``: overflow gives ±Inf and a negative base to a fractional power NaN."""
    x, y = float(a), float(b)
    try:
        return math.pow(x, y)
    except OverflowError:
        odd = y.is_integer() and int(y) % 2 == 1
        return -math.inf if x < 0 and odd else math.inf
    except ValueError:  # 0 ** -1 is +Inf in Go; (-8) ** 0.5 is NaN
        return math.inf if x == 0 else math.nan


def _matches(a: str, b: str) -> bool:
    """expr-lang ``matches``: Go ``regexp`` (RE2, linear time); a bad pattern is an error."""
    return compile_regex(b, "matches").search(a) is not None


def _in(a: Any, b: Any) -> bool:
    if isinstance(b, Mapping):
        try:
            return a in b
        except TypeError:
            raise _fail(f"invalid operation: in (cannot use {type_name(a)} as a map key)") from None
    if isinstance(b, (list, tuple)):
        return any(_equal(a, x) for x in b)
    if b is None:
        return False
    raise _fail(f"invalid operation: in (mismatched types {type_name(a)} and {type_name(b)})")


def _strings(op: str, fn: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    def run(a: Any, b: Any) -> bool:
        if isinstance(a, str) and isinstance(b, str):
            return fn(a, b)
        raise _mismatch(op, a, b)

    return run


def _range(a: Any, b: Any) -> list[int]:
    if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool):
        check_items(b + 1 - a, f"range {a}..{b}")
        return list(range(a, b + 1))
    raise _mismatch("..", a, b)


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": _add,
    "-": _arith("-", lambda a, b: a - b),
    "*": _arith("*", lambda a, b: a * b),
    "/": _arith("/", _div),
    "%": _mod,
    "**": _arith("**", _pow),
    "==": _equal,
    "!=": lambda a, b: not _equal(a, b),
    "<": _order("<", lambda a, b: a < b),
    "<=": _order("<=", lambda a, b: a <= b),
    ">": _order(">", lambda a, b: a > b),
    ">=": _order(">=", lambda a, b: a >= b),
    "in": _in,
    "matches": _strings("matches", _matches),
    "contains": _strings("contains", lambda a, b: b in a),
    "startsWith": _strings("startsWith", lambda a, b: a.startswith(b)),
    "endsWith": _strings("endsWith", lambda a, b: a.endswith(b)),
    "..": _range,
}


def _truth(value: Any, what: str) -> bool:
    if isinstance(value, bool):
        return value
    raise _fail(f"{what} needs a bool, got {type_name(value)} {go_str(value)!r}")


# -- predicate builtins ----------------------------------------------------------------------


def _predicate(name: str, items: Any, body: Program | None, ctx: _Ctx) -> Any:
    if name == "sum" and body is None:
        return sum_values(items)
    if not isinstance(items, (list, tuple)):
        raise _fail(f"{name}: expected an array, got {type_name(items)}")
    if body is None:
        raise _fail(f"{name}: missing predicate")
    sub = _Ctx(ctx.scope)
    sub.deadline = limit = ctx.deadline

    def call(i: int, x: Any) -> Any:
        past(limit, f"{name}()")
        sub.ptr, sub.index = x, i
        return body(sub)

    def test(i: int, x: Any) -> bool:
        return _truth(call(i, x), f"predicate of {name}")

    if name == "map":
        return [call(i, x) for i, x in enumerate(items)]
    if name == "filter":
        return [x for i, x in enumerate(items) if test(i, x)]
    if name == "all":
        return all(test(i, x) for i, x in enumerate(items))
    if name == "any":
        return any(test(i, x) for i, x in enumerate(items))
    if name == "none":
        return not any(test(i, x) for i, x in enumerate(items))
    if name == "one":
        return sum(1 for i, x in enumerate(items) if test(i, x)) == 1
    if name == "count":
        return sum(1 for i, x in enumerate(items) if test(i, x))
    if name == "sum":
        return sum_values([call(i, x) for i, x in enumerate(items)])
    found = [i for i, x in enumerate(items) if test(i, x)]
    if name == "find":
        return items[found[0]] if found else None
    if name == "findLast":
        return items[found[-1]] if found else None
    if name == "findIndex":
        return found[0] if found else -1
    return found[-1] if found else -1  # findLastIndex


# -- compiler ------------------------------------------------------------------------------


def _chain(node: Node) -> tuple[str, tuple[Any, ...]] | None:
    keys: list[Any] = []
    while isinstance(node, Member) and not node.optional and isinstance(node.key, Lit):
        keys.append(node.key.value)
        node = node.obj
    if isinstance(node, Name) and keys:
        return node.name, tuple(reversed(keys))
    return None


def _compile(node: Node) -> Program:
    if isinstance(node, Lit):
        value = node.value
        return lambda ctx: value
    if isinstance(node, Name):
        return _path_getter(node.name, ())
    if isinstance(node, Ptr):
        attr = {"": "ptr", "index": "index", "acc": "acc"}.get(node.name)
        if attr is None:
            raise _fail(f"unknown pointer #{node.name}")
        return lambda ctx: getattr(ctx, attr)
    if isinstance(node, Member):
        chain = _chain(node)
        if chain is not None:
            return _path_getter(*chain)
        obj, key, optional = _compile(node.obj), _compile(node.key), node.optional

        def member(ctx: _Ctx) -> Any:
            o = obj(ctx)
            if o is None and optional:
                return None
            return _fetch(o, key(ctx))

        return member
    if isinstance(node, Slice):
        return _compile_slice(node)
    if isinstance(node, Call):
        return _compile_call(node)
    if isinstance(node, Builtin):
        items = _compile(node.args[0])
        body: Program | None = None
        if len(node.args) > 1:
            closure = node.args[1]
            if len(node.args) > 2 or not isinstance(closure, Closure):
                raise _fail(f"{node.name}: expected (array, predicate)")
            body = _compile(closure.body)
        name = node.name
        return lambda ctx: _predicate(name, items(ctx), body, ctx)
    if isinstance(node, Unary):
        x = _compile(node.x)
        if node.op == "!":
            return lambda ctx: not _truth(x(ctx), "operator !")
        sign = -1 if node.op == "-" else 1

        def unary(ctx: _Ctx) -> Any:
            v = x(ctx)
            if not is_number(v):
                raise _fail(f"invalid operation: {node.op}{type_name(v)}")
            return sign * v

        return unary
    if isinstance(node, Binary):
        return _compile_binary(node)
    if isinstance(node, Cond):
        c, a, b = _compile(node.cond), _compile(node.then), _compile(node.other)
        return lambda ctx: a(ctx) if _truth(c(ctx), "ternary condition") else b(ctx)
    if isinstance(node, Array):
        parts = [_compile(i) for i in node.items]
        return lambda ctx: [p(ctx) for p in parts]
    if isinstance(node, MapLit):
        pairs = [(_compile(k), _compile(v)) for k, v in node.pairs]

        def map_literal(ctx: _Ctx) -> dict[Any, Any]:
            out: dict[Any, Any] = {}
            for k, v in pairs:
                key = k(ctx)
                if not isinstance(key, Hashable):
                    raise _fail(f"cannot use {type_name(key)} as a map key")
                out[key] = v(ctx)
            return out

        return map_literal
    raise _fail(f"cannot compile {type(node).__name__}")


def _compile_slice(node: Slice) -> Program:
    obj = _compile(node.obj)
    lo = _compile(node.lo) if node.lo is not None else None
    hi = _compile(node.hi) if node.hi is not None else None

    def run(ctx: _Ctx) -> Any:
        o = obj(ctx)
        if not isinstance(o, (list, tuple, str)):
            raise _fail(f"cannot slice {type_name(o)}")
        a = lo(ctx) if lo else 0
        b = hi(ctx) if hi else len(o)
        if not (isinstance(a, int) and isinstance(b, int)):
            raise _fail("slice bounds must be integers")
        return o[a:b]

    return run


def _compile_call(node: Call) -> Program:
    args = [_compile(a) for a in node.args]
    if isinstance(node.func, Name) and node.func.name in FUNCTIONS:
        fn = FUNCTIONS[node.func.name]
        return _invoke(lambda ctx: fn, args, node.func.name)
    label = _label(node.func)
    return _invoke(_compile(node.func), args, label)


def _label(node: Node) -> str:
    chain = _chain(node)
    if chain is not None:
        return ".".join([chain[0], *map(str, chain[1])])
    return node.name if isinstance(node, Name) else "function"


def _invoke(func: Program, args: list[Program], label: str) -> Program:
    def call(ctx: _Ctx) -> Any:
        f = func(ctx)
        if not callable(f):
            raise _fail(f"{label} is not a function")
        values = [a(ctx) for a in args]
        try:
            return f(*values)
        except ExpressionError:
            raise
        except (TypeError, ValueError, ArithmeticError, KeyError, IndexError) as exc:
            raise _fail(f"{label}(): {exc}") from None

    return call


def _compile_binary(node: Binary) -> Program:
    a, b = _compile(node.left), _compile(node.right)
    op = node.op
    if op == "&&":
        return lambda ctx: _truth(a(ctx), "operator &&") and _truth(b(ctx), "operator &&")
    if op == "||":
        return lambda ctx: _truth(a(ctx), "operator ||") or _truth(b(ctx), "operator ||")
    if op == "??":

        def coalesce(ctx: _Ctx) -> Any:
            v = a(ctx)
            return b(ctx) if v is None else v

        return coalesce
    fn = _BINOPS[op]
    return lambda ctx: fn(a(ctx), b(ctx))


@lru_cache(maxsize=4096)
def compile_expression(text: str) -> Program:
    """Parse and compile ``text`` once; raises ``ExpressionError`` on bad syntax."""
    node = parse(text)
    try:
        return _compile(node)
    except ExpressionError as exc:  # e.g. an unknown #pointer: name the text
        raise ExpressionError(f"{exc} in expression {text!r}", position=0, reason=exc.reason) from None


def evaluate(expr: str, scope: Mapping[str, Any]) -> Any:
    """Evaluate one expr-lang expression (the text inside ``{{=...}}``) against ``scope``."""
    program = compile_expression(expr)
    try:
        return run_program(program, _Ctx(scope))
    except ExpressionError as exc:
        if expr in str(exc):
            raise
        raise ExpressionError(f"{exc} (in expression {expr!r})") from None


def run_program(program: Program, ctx: _Ctx) -> Any:
    """Run a compiled program; values too deep or too big for Python become ``ExpressionError``.

    Expressions are bounded (limits.py), but the values they read are not: a parameter may
    hold JSON nested thousands deep, which ``toJson``/``==``/``flatten`` walk recursively.
    """
    try:
        return program(ctx)
    except RecursionError:
        raise ExpressionError("a value is nested too deeply to evaluate") from None
    except MemoryError:
        raise ExpressionError("evaluation ran out of memory") from None
