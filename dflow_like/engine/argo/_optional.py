"""Lazy imports of the optional ``argo`` extra (argo-workflows, jsonschema)."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingExtraError", "import_optional"]


class MissingExtraError(ImportError):
    """An optional dependency of the Argo backend is not installed."""


def import_optional(module: str) -> ModuleType:
    """Import ``module`` or explain which extra provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        root = module.split(".")[0]
        raise MissingExtraError(f"the Argo backend needs the {root!r} package: pip install 'dflow-like[argo]'") from exc
