"""Everything wrong with a manifest before it is submitted: both schemas, then the lint."""

from __future__ import annotations

from typing import Any

import yaml

from ..lint import lint_manifest
from ..schema import SchemaUnavailableError, check_manifest_schema

__all__ = ["SCHEMA_VERSIONS", "manifest_problems", "to_yaml"]

SCHEMA_VERSIONS = ("v3.7", "v4")


def manifest_problems(manifest: dict[str, Any]) -> list[str]:
    """Schema problems (each version, prefixed by it) and semantic lint problems.

    A schema check that cannot run (``jsonschema`` missing, or
    ``$DFLOW_LIKE_ARGO_SCHEMA_DIR`` pointing at no schema) raises
    :class:`SchemaUnavailableError`: an empty answer must mean "checked, valid".
    """
    problems: list[str] = []
    for version in SCHEMA_VERSIONS:
        report = check_manifest_schema(manifest, version)
        if report.skipped:
            raise SchemaUnavailableError(f"cannot lint the Argo manifest: {report.skipped}")
        problems += [f"schema {version}: {p}" for p in report.problems]
    problems += lint_manifest(manifest)
    return problems


class _Dumper(yaml.SafeDumper):
    """Block style; multi-line strings (scripts) as ``|`` literals so diffs read well."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(manifest: dict[str, Any]) -> str:
    return yaml.dump(manifest, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100)
