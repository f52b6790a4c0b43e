"""The Argo Workflows backend: manifest validation, the Argo Server client, status mapping.

Importing this package imports neither ``argo_workflows`` nor ``jsonschema`` (the
optional ``argo`` extra); they are loaded on first use.
"""

from __future__ import annotations

from .client import ArgoClient, ArgoError
from .lint import lint_manifest
from .schema import (
    SchemaReport,
    SchemaSkippedWarning,
    SchemaUnavailableError,
    check_manifest_schema,
    validate_manifest,
)
from .status import step_records, workflow_phase

__all__ = [
    "ArgoClient",
    "ArgoError",
    "SchemaReport",
    "SchemaSkippedWarning",
    "SchemaUnavailableError",
    "check_manifest_schema",
    "lint_manifest",
    "step_records",
    "validate_manifest",
    "workflow_phase",
]
