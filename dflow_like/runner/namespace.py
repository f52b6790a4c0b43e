"""What of the caller's ``__main__`` a step needs wherever it runs.

OPs and helpers defined in a script or a notebook cell live in ``__main__``; they are
cloudpickled by value, and put back into ``__main__`` where the step runs so that
jsonpickle'd values (``{"py/object": "__main__.Point"}``) find their classes too.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["main_namespace", "restore_main_namespace"]


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
