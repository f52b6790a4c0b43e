"""A ``StepFilter`` as a WHERE clause on the local state store's ``nodes`` table.

``query_step(name=...)`` of a 100k-step run must not decode 100k rows to return a few
(issue 18; ``bench/scale.py`` measures it): SQLite selects the rows, using its
indexes on ``name``, ``key``, ``parent_id`` and ``phase``. The clause selects exactly
what ``StepFilter.matches`` selects (``tests/engine/test_query.py`` holds them to it):
a plain name is an index range, a regex name calls :func:`name_matches` from SQL.
"""

from __future__ import annotations

import sqlite3

from ..step_filter import StepFilter, is_regex, name_matches

__all__ = ["NAME_MATCHES", "register_functions", "sql_where"]

NAME_MATCHES = "dflow_name_matches"
"""The SQL function the clause calls for a regex name (see :func:`register_functions`)."""


def register_functions(db: sqlite3.Connection) -> None:
    """Make the clause's Python function callable on ``db`` (per connection, before the query)."""
    db.create_function(NAME_MATCHES, 2, name_matches, deterministic=True)


def _in(column: str, options: tuple[str, ...]) -> tuple[str, list[str]]:
    if not options:
        return "0", []  # an empty list selects nothing, as in the predicate
    return f"{column} IN ({','.join('?' * len(options))})", list(options)


def _name(option: str) -> tuple[str, list[str]]:
    if is_regex(option):
        return f"{NAME_MATCHES}(?, name)", [option]
    # the step, or its items "name(i:item)": the range ["name(", "name)") of the index
    # (")" follows "(" in byte order, and SQLite compares text as bytes)
    return "(name = ? OR (name >= ? AND name < ?))", [option, f"{option}(", f"{option})"]


def sql_where(where: StepFilter) -> tuple[str, tuple[str, ...]]:
    """``("WHERE ...", args)`` selecting the rows ``where`` selects; ``("", ())`` for all."""
    clauses: list[str] = []
    args: list[str] = []
    for column in ("key", "phase", "id", "type"):
        options: tuple[str, ...] | None = getattr(where, column)
        if options is not None:
            clause, values = _in(column, options)
            clauses.append(clause)
            args += values
    if where.parent_id is not None:
        clauses.append("parent_id = ?")
        args.append(where.parent_id)
    if where.name is not None:
        parts = [_name(option) for option in where.name]
        clauses.append("(" + " OR ".join(clause for clause, _ in parts) + ")" if parts else "0")
        args += [value for _, values in parts for value in values]
    if not clauses:
        return "", ()
    return "WHERE " + " AND ".join(clauses), tuple(args)
