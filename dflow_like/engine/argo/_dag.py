"""DAG dependencies of Argo tasks: ``dependencies`` lists and ``depends`` expressions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

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
    """One dependency cycle as a path ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in deps:
        if state.get(start):
            continue
        path = [start]
        state[start] = 1
        stack = [iter(deps.get(start, []))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(deps.get(nxt, [])))
    return None
