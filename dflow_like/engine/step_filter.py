"""``query_step``'s filter: one value object and one predicate, the same on every engine.

Each criterion is a string or a list of strings (any may match); ``None`` does not
filter and an empty list selects nothing. ``key``, ``phase``, ``id`` and ``type`` match
exactly; ``parent_id`` selects a node's direct children.

A ``name`` selects a step by its exact name and its slice items (``name(0:x)``), as
dflow's ``argo_objects.match`` (used by ``ArgoWorkflow.get_step``, which
``Workflow.query_step`` in ``dflow/workflow.py`` calls). dflow's ``query_step``
docstring also promises "support regex" for ``name`` (its implementation matched with
``re.match`` until 2022): here a name holding a regular-expression character
(``* + ? [ ] ^ $ | \\``) also selects the names it fully matches. Legal step names
(``[-a-zA-Z0-9]``) hold none of them, so every dflow query selects the same steps here.

The Argo backend applies :meth:`StepFilter.matches` to the records it reads; the local
engine translates the same filter to SQL (``engine/local/sql_filter.py``), and a test
holds the two to the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

from ..records import StepRecord

__all__ = ["Criterion", "StepFilter", "is_regex", "name_matches"]

Criterion: TypeAlias = str | Sequence[str] | None
"""A ``query_step`` criterion as the user gives it: one value, a list of values, or ``None``."""

_REGEX_CHARS = frozenset("*+?[]^$|\\")


def is_regex(option: str) -> bool:
    """Whether a ``name`` criterion is also read as a regular expression."""
    return not _REGEX_CHARS.isdisjoint(option)


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # not a valid pattern: the name only matches exactly (or as a slice prefix)
        return None


def name_matches(option: str, name: str) -> bool:
    """Whether one ``name`` criterion selects a step named ``name``."""
    if name == option or name.startswith(f"{option}("):
        return True
    if not is_regex(option):
        return False
    pattern = _compiled(option)
    return pattern is not None and pattern.fullmatch(name) is not None


def _options(field: str, values: Criterion) -> tuple[str, ...] | None:
    """A criterion as a tuple of strings; anything else is a mistake worth naming."""
    if values is None:
        return None
    options = (values,) if isinstance(values, str) else tuple(values) if isinstance(values, Sequence) else None
    if options is None or not all(isinstance(v, str) for v in options):
        raise TypeError(
            f"query_step({field}=...): expected a string or a list of strings, got {type(values).__name__} {values!r}"
        )
    return options


@dataclass(frozen=True)
class StepFilter:
    """Which records ``query_step`` returns; ``None`` fields do not filter."""

    name: tuple[str, ...] | None = None
    key: tuple[str, ...] | None = None
    phase: tuple[str, ...] | None = None
    id: tuple[str, ...] | None = None
    type: tuple[str, ...] | None = None
    parent_id: str | None = None

    @classmethod
    def of(
        cls, name: Criterion = None, key: Criterion = None, phase: Criterion = None, id: Criterion = None,
        type: Criterion = None, parent_id: str | None = None,
    ) -> StepFilter:  # fmt: skip
        """The filter of ``query_step``'s arguments (a string or a list of strings each)."""
        if parent_id is not None and not isinstance(parent_id, str):
            raise TypeError(f"query_step(parent_id=...): expected a node id (a string), got {parent_id!r}")
        return cls(
            _options("name", name), _options("key", key), _options("phase", phase), _options("id", id),
            _options("type", type), parent_id,
        )  # fmt: skip

    def matches(self, record: StepRecord) -> bool:
        """The reference predicate (the local engine's SQL must agree with it)."""
        return (
            (self.name is None or any(name_matches(option, record.name) for option in self.name))
            and (self.key is None or record.key in self.key)
            and (self.phase is None or record.phase in self.phase)
            and (self.id is None or record.id in self.id)
            and (self.type is None or record.type in self.type)
            and (self.parent_id is None or record.parent_id == self.parent_id)
        )

    def select(self, records: Iterable[StepRecord]) -> list[StepRecord]:
        """The records this filter selects, in their order."""
        return [r for r in records if self.matches(r)]
