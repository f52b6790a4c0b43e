"""The one error the compiler raises: a workflow Argo cannot express (as compiled here)."""

from __future__ import annotations

from ....graph.errors import DefinitionError

__all__ = ["CompileError"]


class CompileError(DefinitionError):
    """The message names the step/template and says what to do instead."""
