"""Step records from an Argo workflow's status (``status.nodes``), the raw JSON.

One :class:`~dflow_like.records.StepRecord` per node, whatever its type (Pod,
Steps, DAG, StepGroup, Retry, Skipped, ...): the caller filters. Follows dflow's
conventions: a step's key is its input parameter ``dflow_key``; parameters whose
names start with ``dflow_`` are internal and hidden; slice items keep Argo's
display names (``name(0:item)``). Every status field may be missing or null.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from dflow_like.artifacts import ArtifactPart, ArtifactRef, StoredTree
from dflow_like.records import IORecord, ParameterRecord, StepRecord

__all__ = [
    "INTERNAL_PREFIX",
    "KEY_PARAMETER",
    "parse_time",
    "step_records",
    "workflow_phase",
]

KEY_PARAMETER = "dflow_key"
INTERNAL_PREFIX = "dflow_"
_PHASES = {"Pending", "Running", "Succeeded", "Failed", "Error"}
_TAR_SUFFIXES = (".tgz", ".tar.gz", ".tar")
_LOCATIONS = ("s3", "oss", "gcs", "azure", "artifactory", "http", "hdfs", "git")


def workflow_phase(workflow: Mapping[str, Any]) -> str:
    """``Pending | Running | Succeeded | Failed | Error``; an unset or unknown phase is Pending."""
    phase = (workflow.get("status") or {}).get("phase") or "Pending"
    return phase if phase in _PHASES else "Pending"


def step_records(workflow: Mapping[str, Any]) -> list[StepRecord]:
    """One record per node, parents before children where the status says so."""
    workflow_id = str((workflow.get("metadata") or {}).get("name") or "")
    status = workflow.get("status") or {}
    nodes: Mapping[str, Any] = status.get("nodes") or {}
    parents = _parents(nodes)
    records = [
        node_record(node_id, node, workflow_id, parents.get(node_id), status)
        for node_id, node in nodes.items()
        if isinstance(node, Mapping)
    ]
    records.sort(key=lambda r: (r.start_time is None, r.start_time or 0.0, r.id))
    return records


def _attempts(node: Mapping[str, Any]) -> int:
    """Pods started for the step, as the local engine counts them: a Retry node's children,
    one for a Pod node that left Pending, none for anything else."""
    if node.get("type") == "Retry":
        return len(node.get("children") or [])
    if node.get("type") == "Pod" and node.get("phase") not in (None, "", "Pending"):
        return 1
    return 0


def node_record(
    node_id: str,
    node: Mapping[str, Any],
    workflow_id: str,
    parent_id: str | None = None,
    status: Mapping[str, Any] | None = None,
) -> StepRecord:
    inputs = node.get("inputs") or {}
    key = _key(inputs)
    return StepRecord(
        id=str(node.get("id") or node_id),
        name=str(node.get("displayName") or node.get("name") or node_id),
        workflow_id=workflow_id,
        phase=str(node.get("phase") or "Pending"),
        type=str(node.get("type") or ""),
        key=key,
        template=str(node.get("templateName") or (node.get("templateRef") or {}).get("template") or ""),
        parent_id=parent_id,
        start_time=parse_time(node.get("startedAt")),
        end_time=parse_time(node.get("finishedAt")),
        message=str(node.get("message") or ""),
        progress=node.get("progress") or None,  # Argo's "current/total" (workflow/progress)
        attempts=_attempts(node),
        inputs=_io(inputs, status),
        outputs=_io(node.get("outputs") or {}, status),
    )


def parse_time(value: Any) -> float | None:
    """An RFC 3339 time (``2024-05-01T12:00:00Z``) as epoch seconds; None for null or junk."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _parents(nodes: Mapping[str, Any]) -> dict[str, str]:
    parents: dict[str, str] = {}
    for node_id, node in nodes.items():
        for child in (node or {}).get("children") or []:
            parents.setdefault(str(child), str(node_id))
    return parents


def _key(inputs: Mapping[str, Any]) -> str | None:
    for param in inputs.get("parameters") or []:
        if param.get("name") == KEY_PARAMETER and param.get("value") not in (None, ""):
            return str(param["value"])
    return None


def _io(block: Mapping[str, Any], status: Mapping[str, Any] | None) -> IORecord:
    record = IORecord()
    for param in block.get("parameters") or []:
        name = str(param.get("name") or "")
        if name and not name.startswith(INTERNAL_PREFIX):
            record.parameters[name] = ParameterRecord(name, _wire(param), _type_name(param))
    for art in block.get("artifacts") or []:
        name = str(art.get("name") or "")
        if name and not name.startswith(INTERNAL_PREFIX):
            ref = artifact_ref(art, status)
            if ref is not None:
                record.artifacts[name] = ref
    return record


def _wire(param: Mapping[str, Any]) -> str:
    value = param.get("value")
    if value is None:
        value = (param.get("valueFrom") or {}).get("default", param.get("default", ""))
    return value if isinstance(value, str) else json.dumps(value)


# The compiler writes dflow's ``{"type": ...}`` description on every typed parameter
# (``compile/descriptions.py``, after dflow's ``convert_to_argo`` in ``dflow/io.py``);
# a parameter without one is untyped and its value stays the string Argo carries, as
# dflow's ``ArgoParameter`` (``argo_objects.py``) and the local engine's records leave it.
UNTYPED = ""


def _type_name(param: Mapping[str, Any]) -> str:
    """dflow records a parameter's type as JSON ``{"type": ...}`` in its description."""
    description = param.get("description")
    if not isinstance(description, str) or not description.startswith("{"):
        return UNTYPED
    try:
        return str(json.loads(description).get("type") or UNTYPED)
    except (ValueError, AttributeError):
        return UNTYPED


def artifact_ref(art: Mapping[str, Any], status: Mapping[str, Any] | None = None) -> ArtifactRef | None:
    """An artifact's stored location; None when it was not saved (optional and absent)."""
    location = next(((kind, art[kind]) for kind in _LOCATIONS if art.get(kind)), None)
    if location is None:
        return None
    kind, where = location
    key = str(where.get("key") or where.get("blob") or where.get("url") or "")
    bucket = str(where.get("bucket") or where.get("container") or _default_bucket(status))
    tree = StoredTree(storage=kind, key=key, archive=_archive(art, key), bucket=bucket)
    return ArtifactRef(parts=(ArtifactPart(tree),), name=str(art.get("name") or ""))


def _archive(art: Mapping[str, Any], key: str) -> str | None:
    archive = art.get("archive") or {}
    if "tar" in archive or key.endswith(_TAR_SUFFIXES):
        return "tar"
    return None


def _default_bucket(status: Mapping[str, Any] | None) -> str:
    """The bucket of the artifact repository the controller resolved, if it says."""
    repo = ((status or {}).get("artifactRepositoryRef") or {}).get("artifactRepository") or {}
    return str((repo.get("s3") or {}).get("bucket") or "")
