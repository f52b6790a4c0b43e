"""Bounds on what one expression may cost: nesting, sizes, time, and linear-time regexes.

Expressions run on the local engine's event loop, so a runaway one (``1..100000000000``,
``sprig.repeat(10000000000, 'x')``, nested ``map`` over big ranges, a backtracking regex)
would freeze every other step. Each such case fails the expression with an
``ExpressionError`` instead:

* nesting deeper than ``MAX_DEPTH`` is a syntax error at the offending position (so
  parsing, compiling and evaluating never hit Python's recursion limit);
* ranges, ``sprig.until``/``untilStep`` and ``sprig.repeat`` refuse to build more than
  ``MAX_ITEMS`` elements or ``MAX_CHARS`` characters;
* loops of predicate builtins (``map``, ``filter``...) stop at ``TIME_LIMIT`` seconds;
* regexes (``matches``, ``=~``, ``sprig.regexMatch``) run on RE2, the engine behind Go's
  ``regexp`` that Argo, expr-lang, govaluate and sprig all use: matching is linear in the
  input, so no pattern can backtrack for hours, and the accepted syntax is exactly Go's
  (``(?=...)`` and backreferences are refused there too). Python's ``re`` can neither be
  interrupted (it holds the GIL) nor does it accept Go's syntax exactly, so a deadline
  around it could not keep the engine responsive.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from .errors import ExpressionError

__all__ = [
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_ITEMS",
    "TIME_LIMIT",
    "check_chars",
    "check_items",
    "compile_regex",
    "deadline",
    "past",
]

#: Deepest nesting of one expression (parentheses, operators, calls); real ones use < 20.
MAX_DEPTH = 64
#: Most elements one range/``until`` may create.
MAX_ITEMS = 1_000_000
#: Most characters one ``sprig.repeat`` may create.
MAX_CHARS = 16 * 1024 * 1024
#: Seconds one evaluation may spend in predicate loops.
TIME_LIMIT = 2.0


def check_items(n: int, what: str) -> None:
    """Refuse to build a list of ``n`` elements when ``n`` exceeds ``MAX_ITEMS``."""
    if n > MAX_ITEMS:
        raise ExpressionError(f"{what} would have {n} elements, more than the limit of {MAX_ITEMS}")


def check_chars(n: int, what: str) -> None:
    """Refuse to build a string of ``n`` characters when ``n`` exceeds ``MAX_CHARS``."""
    if n > MAX_CHARS:
        raise ExpressionError(f"{what} would have {n} characters, more than the limit of {MAX_CHARS}")


def deadline() -> float:
    """The monotonic time by which an evaluation starting now must finish."""
    return time.monotonic() + TIME_LIMIT


def past(limit: float, what: str) -> None:
    """Raise when ``limit`` (from ``deadline()``) has passed."""
    if time.monotonic() > limit:
        raise ExpressionError(f"{what} ran longer than the limit of {TIME_LIMIT:g} s")


@lru_cache(maxsize=256)
def compile_regex(pattern: str, what: str) -> Any:
    """Compile ``pattern`` with RE2 (Go ``regexp`` syntax); a bad pattern is an ``ExpressionError``.

    ``re2`` is imported here, not with the package: an Argo pod runs ``dflow_like`` from a
    bundle of pure-Python code and never evaluates expressions (Argo's controller does).
    """
    try:
        import re2
    except ImportError:
        raise ExpressionError(f"{what}: regular expressions need the google-re2 package") from None
    options = re2.Options()
    options.log_errors = False  # RE2 would print every bad pattern to stderr
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ExpressionError(f"{what}: error parsing regexp {pattern!r}: {reason}") from None
