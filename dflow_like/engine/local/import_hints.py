"""Which modules an OP's ``execute`` imports, read from bytecode before any step runs.

``import`` statements in ``execute`` and in the functions of the OP's own package it
calls (through globals, closures and ``__wrapped__``) name modules a worker can
import before its first step of that template (see ``warm_imports``). A guess:
imports behind a branch are included, a library's own lazy imports are not.
"""

from __future__ import annotations

import contextlib
import dis
import importlib.util
import types
from typing import Any

__all__ = ["static_imports"]


def _imports_in(code: types.CodeType, package: str) -> list[str]:
    """Modules an ``import`` statement anywhere in ``code`` (nested code too) names."""
    names: list[str] = []
    level = 0
    for ins in dis.get_instructions(code):
        if ins.opname == "LOAD_CONST" and isinstance(ins.argval, int):
            level = ins.argval
        elif ins.opname == "IMPORT_NAME":
            with contextlib.suppress(ImportError, ValueError):
                names.append(importlib.util.resolve_name("." * level + ins.argval, package) if level else ins.argval)
        elif ins.opname == "IMPORT_FROM" and names:
            names.append(f"{names[-1]}.{ins.argval}")  # a submodule, or a name (its import then fails)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.extend(_imports_in(const, package))
    return names


def static_imports(op_class: Any, depth: int = 3) -> list[str]:
    """Modules ``execute`` imports, from its bytecode and that of the functions of the
    OP's own package it calls (to ``depth`` calls deep); ``dflow_like``'s own left out."""
    execute = getattr(op_class, "execute", None)
    owner = str(getattr(op_class, "__module__", "") or "")
    home = owner.rpartition(".")[0] or owner
    names: list[str] = []
    seen: set[int] = set()
    todo: list[tuple[Any, int]] = [(execute, 0)]
    while todo:
        func, level = todo.pop()
        func = getattr(func, "__func__", func)
        if not isinstance(func, types.FunctionType) or id(func) in seen or level > depth:
            continue
        seen.add(id(func))
        module = str(func.__module__ or "")
        if level and not (module in (owner, home) or module.startswith(f"{home}.")):
            continue
        names.extend(_imports_in(func.__code__, str(func.__globals__.get("__package__") or "")))
        calls: list[Any] = [getattr(func, "__wrapped__", None)]
        calls += [cell.cell_contents for cell in func.__closure__ or () if _filled(cell)]
        calls += [func.__globals__.get(name) for name in func.__code__.co_names]
        todo.extend((call, level + 1) for call in calls if call is not None)
    return list(dict.fromkeys(n for n in names if not n.startswith(("dflow_like.", "__main__"))))


def _filled(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018
    except ValueError:
        return False
    return True
