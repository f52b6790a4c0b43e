"""The embedded local engine: no server, durable state in SQLite, steps in forked workers."""

from .backend import LocalBackend

__all__ = ["LocalBackend"]
