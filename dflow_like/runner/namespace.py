"""What of the caller's ``__main__`` and ``sys.path`` a step needs wherever it runs.

OPs and helpers defined in a script or a notebook cell live in ``__main__``; they are
cloudpickled by value, and put back into ``__main__`` where the step runs so that
jsonpickle'd values (``{"py/object": "__main__.Point"}``) find their classes too.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["caller_sys_path", "main_namespace", "restore_main_namespace", "use_sys_path"]


def main_namespace() -> dict[str, Any]:
    """Classes and functions the caller defined in ``__main__`` (a script or notebook)."""
    main = sys.modules.get("__main__")
    if main is None:
        return {}
    return {
        name: value
        for name, value in vars(main).items()
        if (isinstance(value, type) or callable(value)) and getattr(value, "__module__", None) == "__main__"
    }


def restore_main_namespace(namespace: dict[str, Any]) -> None:
    main = sys.modules["__main__"]
    for name, value in namespace.items():
        setattr(main, name, value)


def caller_sys_path() -> list[str]:
    """The caller's ``sys.path`` with every entry absolute.

    Python puts ``''`` (the current directory) first under ``python -c``, stdin, the
    REPL and notebooks, and a relative ``PYTHONPATH`` stays relative: both mean the
    caller's directory, which the engine, its workers and Slurm jobs do not share.
    """
    cwd = os.getcwd()
    absolute = (os.path.join(cwd, p) if not os.path.isabs(p) else p for p in sys.path)
    return list(dict.fromkeys(os.path.normpath(p) for p in absolute))


def use_sys_path(entries: list[str]) -> None:
    """Put the caller's ``sys.path`` first, in its order: its modules win, as they did there."""
    sys.path[:] = [*entries, *(p for p in sys.path if p not in entries)]
