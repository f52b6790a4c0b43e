"""Errors in a workflow's definition, raised before anything runs."""

from __future__ import annotations

__all__ = ["DefinitionError"]


class DefinitionError(ValueError):
    """A workflow that cannot run as written; the message names workflow, step and field."""
