"""Structural validation of Argo manifests against Argo's official JSON schemas.

The schemas (``argo-v3.7.*.schema.json.gz``, ``argo-v4.*.schema.json.gz``) ship inside
the package (``schemas/``, provenance in its README); ``$DFLOW_LIKE_ARGO_SCHEMA_DIR``
points at another folder of them (plain ``.json`` or gzipped). Without them, or without
``jsonschema``, :func:`check_manifest_schema` says why it *skipped*;
``Workflow.lint()`` refuses to answer instead (:class:`SchemaUnavailableError`). Before
use the schema is adjusted to what Argo really accepts and to catch what it misses:

- IntOrString fields (``retryStrategy.limit``, probe ports, ...) and AnyString
  parameter values are typed ``string`` in the schema but accept numbers;
- the v3.7 memoize cache's ConfigMap ``key`` is not required (Argo ignores it);
- every object definition with properties gets ``additionalProperties: false``
  so a misspelled key is reported instead of silently dropped by the server;
- the manifest is checked against its kind's definition directly (the top-level
  ``oneOf`` over kinds only says "matches none of").
"""

from __future__ import annotations

import copy
import difflib
import functools
import gzip
import json
import os
import re
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from ._optional import MissingExtraError, import_optional

__all__ = [
    "SchemaReport",
    "SchemaSkippedWarning",
    "SchemaUnavailableError",
    "check_manifest_schema",
    "schema_dir",
    "validate_manifest",
]

ENV_SCHEMA_DIR = "DFLOW_LIKE_ARGO_SCHEMA_DIR"
_PREFIX = "io.argoproj.workflow.v1alpha1."
_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")
_INT_OR_STRING = {"type": ["string", "integer"]}
_QUANTITY = {"type": ["string", "number"]}
_ANY_STRING = {"type": ["string", "number", "boolean"]}
_MAX_PROBLEMS = 50


class SchemaSkippedWarning(UserWarning):
    """Schema validation could not run (schemas or jsonschema missing)."""


class SchemaUnavailableError(RuntimeError):
    """A check that must validate against the schemas cannot (why is in the message)."""


class SchemaReport(NamedTuple):
    problems: list[str]
    skipped: str | None  # why validation did not run, or None when it ran


def schema_dir() -> Path:
    """``$DFLOW_LIKE_ARGO_SCHEMA_DIR``, else the schemas shipped in this package."""
    override = os.environ.get(ENV_SCHEMA_DIR)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "schemas"


def validate_manifest(manifest: dict[str, Any], version: str = "v3.7") -> list[str]:
    """Structural problems of ``manifest``; warns (SchemaSkippedWarning) if it cannot check."""
    report = check_manifest_schema(manifest, version)
    if report.skipped:
        warnings.warn(report.skipped, SchemaSkippedWarning, stacklevel=2)
    return report.problems


def check_manifest_schema(manifest: dict[str, Any], version: str = "v3.7") -> SchemaReport:
    """Like :func:`validate_manifest` but says whether validation was skipped instead of warning."""
    try:
        path = _schema_file(schema_dir(), version)
        import_optional("jsonschema")
    except (FileNotFoundError, MissingExtraError) as exc:
        return SchemaReport([], f"Argo schema validation skipped: {exc}")
    kind = manifest.get("kind") if isinstance(manifest, dict) else None
    if kind not in _KINDS:
        return SchemaReport([f"$.kind: expected one of {list(_KINDS)}, got {kind!r}"], None)
    errors = sorted(
        _validator(str(path), kind).iter_errors(manifest),
        key=lambda e: [str(p) for p in e.absolute_path],
    )
    problems = [_describe(error) for error in errors[:_MAX_PROBLEMS]]
    if len(errors) > _MAX_PROBLEMS:
        problems.append(f"... and {len(errors) - _MAX_PROBLEMS} more problems")
    return SchemaReport(problems, None)


def _schema_file(directory: Path, version: str) -> Path:
    """The newest ``argo-<version>[.x].schema.json[.gz]`` in ``directory``."""
    wanted = version.lstrip("v")
    found: list[tuple[tuple[int, ...], Path]] = []
    for path in directory.glob("argo-v*.schema.json*") if directory.is_dir() else []:
        match = re.fullmatch(r"argo-v(.+)\.schema\.json(\.gz)?", path.name)
        full = match.group(1) if match else ""
        if full == wanted or full.startswith(wanted + "."):
            found.append((tuple(int(p) for p in re.findall(r"\d+", full)), path))
    if not found:
        raise FileNotFoundError(f"no Argo {version} schema (argo-{version}*.schema.json[.gz]) in {directory}")
    return max(found)[1]


@functools.lru_cache(maxsize=16)
def _validator(path: str, kind: str) -> Any:
    """A validator for one kind, built once per process (schema file, kind)."""
    jsonschema = import_optional("jsonschema")
    root = {**_adjusted_schema(path), "$ref": f"#/definitions/{_PREFIX}{kind}"}
    return jsonschema.Draft202012Validator(root)


@functools.lru_cache(maxsize=4)
def _adjusted_schema(path: str) -> dict[str, Any]:
    raw = Path(path).read_bytes()
    schema = _adjust(json.loads(gzip.decompress(raw) if path.endswith(".gz") else raw))
    schema.pop("oneOf", None)
    return schema


def _adjust(schema: dict[str, Any]) -> dict[str, Any]:
    schema = copy.deepcopy(schema)
    definitions: dict[str, Any] = schema["definitions"]
    definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = dict(_INT_OR_STRING)
    definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"] = dict(_QUANTITY)
    for name in ("Time", "MicroTime"):  # Kubernetes writes zero times as null
        definitions[f"io.k8s.apimachinery.pkg.apis.meta.v1.{name}"]["type"] = ["string", "null"]
    parameter = definitions[_PREFIX + "Parameter"]["properties"]
    for key in ("value", "default"):
        parameter[key] = {**parameter[key], **_ANY_STRING}
    parameter["enum"] = {**parameter["enum"], "items": dict(_ANY_STRING)}
    _relax_memoize_cache(definitions)
    value_from = definitions[_PREFIX + "ValueFrom"]["properties"]
    value_from["default"] = {**value_from["default"], **_ANY_STRING}
    for definition in definitions.values():
        if definition.get("properties") and "additionalProperties" not in definition:
            definition["additionalProperties"] = False
    return schema


def _relax_memoize_cache(definitions: dict[str, Any]) -> None:
    """v3.7 types the memoize cache as a ConfigMapKeySelector whose ``key`` Argo ignores."""
    cache = definitions[_PREFIX + "Cache"]["properties"]
    selector = "io.k8s.api.core.v1.ConfigMapKeySelector"
    if cache["configMap"].get("$ref", "").endswith(selector):
        relaxed = {k: v for k, v in definitions[selector].items() if k != "required"}
        cache["configMap"] = relaxed


def _describe(error: Any) -> str:
    """JSON path, what was expected, what came."""
    where = _json_path(error.absolute_path)
    validator, expected, got = error.validator, error.validator_value, error.instance
    if validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(got) - set(allowed)) if isinstance(got, dict) else []
        return "; ".join(_unknown_key(where, key, allowed) for key in unknown) or error.message
    if validator == "type":
        return f"{where}: expected {_or(expected)}, got {_type_name(got)} {_short(got)}"
    if validator == "required":
        missing = [k for k in expected if isinstance(got, dict) and k not in got]
        return f"{where}: missing required key {', '.join(map(repr, missing))}"
    if validator in ("const", "enum"):
        want = expected if validator == "const" else _or(map(repr, expected))
        return f"{where}: expected {want!r}, got {_short(got)}"
    return f"{where}: {error.message}"


def _unknown_key(where: str, key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{where}: unknown key {key!r}{hint}; expected one of: {', '.join(allowed)}"


def _json_path(path: Iterable[Any]) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _or(values: Any) -> str:
    items = [values] if isinstance(values, str) else [str(v) for v in values]
    return " or ".join(items)


def _type_name(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}
    return names.get(type(value), "array" if isinstance(value, list) else "object")


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
