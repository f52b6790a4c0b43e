"""DAG dependencies of Argo tasks: ``dependencies`` lists and ``depends`` expressions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...graph.validate import find_cycle as graph_find_cycle

__all__ = ["dag_dependencies", "find_cycle"]

# A task name, optionally followed by a result such as ".Succeeded" or ".AnySucceeded".
_DEPENDS_NAME = re.compile(r"([a-zA-Z0-9][-a-zA-Z0-9]*)(?:\.[A-Z][a-zA-Z]+)?")


def dag_dependencies(task: Mapping[str, Any]) -> list[str]:
    """Names of the tasks ``task`` waits for, in the order written, without repeats."""
    names = [str(d) for d in task.get("dependencies") or []]
    depends = task.get("depends")
    if isinstance(depends, str):
        names += _DEPENDS_NAME.findall(depends)
    return list(dict.fromkeys(names))


def find_cycle(deps: Mapping[str, list[str]]) -> list[str] | None:
    """One dependency cycle as a path ``[a, b, ..., a]``, or None (the graph layer's search)."""
    return graph_find_cycle(deps) or None
