"""Errors in a workflow's definition, raised before anything runs."""

from __future__ import annotations

__all__ = ["DefinitionError", "UnknownArgumentError"]


class DefinitionError(ValueError):
    """A workflow that cannot run as written; the message names workflow, step and field."""


class UnknownArgumentError(DefinitionError, TypeError):
    """A keyword argument no constructor knows (a ``TypeError`` too, as Python raises for one)."""
