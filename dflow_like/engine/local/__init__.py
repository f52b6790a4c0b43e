"""The embedded local engine: no server, durable state in SQLite, steps in forked workers.

``LocalBackend`` is loaded on first use: the engine process is started as
``python -m dflow_like.engine.local``, and what this package imports, every worker
it forks carries (see ``worker_process``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .backend import LocalBackend

__all__ = ["LocalBackend"]


def __getattr__(name: str) -> Any:
    if name == "LocalBackend":
        from .backend import LocalBackend

        return LocalBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
