"""Argo's own size limits, checked before submit: a manifest Argo refuses or handles badly.

These are warnings, not lint errors: the manifest is valid, but a cluster with default
settings refuses it or struggles with it. Where each limit comes from (argoproj/argo-workflows):

- the request: the Kubernetes API server refuses a request body over 3 MiB
  (``MaxRequestBodyBytes``, "Request entity too large: limit is 3145728", quoted in
  ``hack/manifests/crds.go``), and etcd stores an object of at most 1.5 MiB by default
  ("etcdserver: request is too large", ``util/kube/errors/errors.go``,
  ``docs/offloading-large-workflows.md``);
- one parameter: the executor keeps at most 256 kB of an output (``maxAnnotationSize``
  in ``WorkflowExecutor``'s output capture, ``workflow/executor/executor.go``); a value
  that large inline also counts against the request limits above;
- the nodes: every node lives in the workflow's status, which the controller compresses
  and then offloads to a database once it passes ``MAX_WORKFLOW_SIZE`` (1 MiB,
  ``workflow/packer/packer.go``); tens of thousands of nodes (~50,000) make every
  reconciliation of the workflow slow, with offloading or without.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

from ...graph.errors import DefinitionError

__all__ = [
    "NODE_LIMIT",
    "PARAMETER_LIMIT",
    "REQUEST_LIMIT",
    "ArgoLimitError",
    "ArgoLimitWarning",
    "check_limits",
    "limit_warnings",
]

REQUEST_LIMIT = 3 * 1024 * 1024  # the API server's MaxRequestBodyBytes
STORE_LIMIT = 3 * 1024 * 1024 // 2  # etcd's default --max-request-bytes
PARAMETER_LIMIT = 256 * 1024  # the executor's maxAnnotationSize
NODE_LIMIT = 50_000

_UNTIL_STEP = re.compile(r"^\{\{=toJson\(sprig\.untilStep\(0, (\d+), (\d+)\)\)\}\}$")
_HOW_TO_SHRINK = (
    "pass large inputs as artifacts (upload_artifact) or BigParameter, and slice a list from an "
    "artifact or a step output (Slices, with_param) instead of listing it inline"
)


class ArgoLimitWarning(UserWarning):
    """A manifest Argo accepts but handles badly, or that a cluster with default settings
    refuses (etcd's 1.5 MiB): submitted anyway. Filter it as any warning category, e.g.
    ``warnings.filterwarnings("ignore", category=ArgoLimitWarning)`` or ``"error"``."""


class ArgoLimitError(DefinitionError):
    """A manifest Argo certainly refuses: the request is over the API server's 3 MiB."""


def limit_warnings(manifest: Mapping[str, Any]) -> list[str]:
    """Every limit the manifest exceeds, as ``warning: ...`` messages naming the step and the limit."""
    return [f"warning: {message}" for message, _ in _findings(manifest)]


def check_limits(manifest: Mapping[str, Any], workflow: str) -> None:
    """At submit: warn (:class:`ArgoLimitWarning`) of each limit ``manifest`` exceeds, and
    raise :class:`ArgoLimitError` when the API server would refuse the request outright
    (its body is over 3 MiB), before anything is uploaded or created."""
    refused: list[str] = []
    for message, certain in _findings(manifest):
        if certain:
            refused.append(message)
        else:
            warnings.warn(f"workflow {workflow!r}: {message}", ArgoLimitWarning, stacklevel=4)
    if refused:
        raise ArgoLimitError(f"workflow {workflow!r}: not submitted: " + "; ".join(refused))


def _findings(manifest: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """(message, whether Argo certainly refuses) for each limit exceeded."""
    found = [(_parameter_warning(where, name, size), False) for where, name, size in _large_values(manifest)]
    size = len(json.dumps(manifest, separators=(",", ":")))
    if size > STORE_LIMIT:
        refused = "the API server refuses it (over 3 MiB)" if size > REQUEST_LIMIT else "etcd refuses it by default"
        found.append(
            (
                f"the manifest is {_mb(size)}: {refused}; Kubernetes accepts at most 3 MiB per request and "
                f"etcd stores at most 1.5 MiB per object by default: {_HOW_TO_SHRINK}",
                size > REQUEST_LIMIT,
            )
        )
    nodes, biggest = _node_estimate(manifest)
    if nodes > NODE_LIMIT:
        where = f" ({biggest[0]}: {biggest[1]:,} nodes)" if biggest else ""
        found.append(
            (
                f"the workflow will have about {nodes:,} nodes{where}, more than the ~{NODE_LIMIT:,} Argo's "
                "controller handles well (it keeps every node in the workflow's status): give each pod many "
                "items (Slices(group_size=...) runs that many items in one pod), or split the work into "
                "several workflows",
                False,
            )
        )
    return found


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _parameter_warning(where: str, name: str, size: int) -> str:
    what = "its withItems list" if name == "withItems" else f"parameter {name!r}"
    return (
        f"{where}: {what} is {size / 1024:.0f} KB inline, over the 256 KB Argo keeps of a "
        f"parameter (and it counts against the 1.5 MiB of the whole workflow): {_HOW_TO_SHRINK}"
    )


def _large_values(manifest: Mapping[str, Any]) -> Iterator[tuple[str, str, int]]:
    """(where, parameter, size) of every inline parameter value or item list over PARAMETER_LIMIT."""
    spec = manifest.get("spec") or {}
    for param in (spec.get("arguments") or {}).get("parameters") or []:
        yield from _oversized("spec.arguments", param)
    for template in spec.get("templates") or []:
        where = f"template {template.get('name')!r}"
        for section in ("inputs", "outputs"):
            for param in (template.get(section) or {}).get("parameters") or []:
                yield from _oversized(f"{where} {section}", param)
        for node in _calls(template):
            node_where = f"{where}, step {node.get('name')!r}"
            for param in (node.get("arguments") or {}).get("parameters") or []:
                yield from _oversized(node_where, param)
            items = node.get("withItems")
            if items:
                size = len(json.dumps(items, separators=(",", ":")))
                if size > PARAMETER_LIMIT:
                    yield node_where, "withItems", size


def _oversized(where: str, param: Mapping[str, Any]) -> Iterator[tuple[str, str, int]]:
    for key in ("value", "default"):
        value = param.get(key)
        if isinstance(value, str) and len(value) > PARAMETER_LIMIT:
            yield where, str(param.get("name")), len(value.encode())


def _calls(template: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if template.get("steps"):
        return [s for stage in template["steps"] or [] for s in (stage or []) if isinstance(s, dict)]
    return [t for t in (template.get("dag") or {}).get("tasks") or [] if isinstance(t, dict)]


def loop_count(node: Mapping[str, Any]) -> int | None:
    """How many items a step or task loops over, when the manifest says (None: known at run time only)."""
    if node.get("withItems") is not None:
        return len(node["withItems"])
    sequence = node.get("withSequence")
    if isinstance(sequence, dict):
        try:
            if "count" in sequence:
                return int(sequence["count"])
            return int(sequence.get("end", 0)) - int(sequence.get("start", 0)) + 1
        except (TypeError, ValueError):
            return None
    param = node.get("withParam")
    if isinstance(param, str):
        match = _UNTIL_STEP.match(param.strip())
        if match:  # a stride of G: one pod per group of G items (Slices(group_size=G))
            return -(-int(match.group(1)) // max(1, int(match.group(2))))
        try:
            items = json.loads(param)
        except ValueError:
            return None
        return len(items) if isinstance(items, list) else None
    return 1


def _node_estimate(manifest: Mapping[str, Any]) -> tuple[int, tuple[str, int] | None]:
    """About how many nodes a run makes (loops of unknown length count once) and the biggest step.

    Post-order over the templates the entrypoint calls, without recursion; a template
    that (conditionally) calls itself counts once.
    """
    spec = manifest.get("spec") or {}
    templates = {t.get("name"): t for t in spec.get("templates") or [] if isinstance(t, dict)}
    counts: dict[str, int] = {}
    biggest: tuple[str, int] | None = None
    entry = str(spec.get("entrypoint"))
    if entry not in templates:
        return 0, None
    stack: list[tuple[str, bool]] = [(entry, False)]
    active: set[str] = set()
    while stack:
        name, children_done = stack.pop()
        if name in counts:
            continue
        template = templates[name]
        callees = [str(c.get("template")) for c in _calls(template) if c.get("template") in templates]
        if not children_done:
            active.add(name)
            stack.append((name, True))
            stack += [(c, False) for c in callees if c not in counts and c not in active]
            continue
        active.discard(name)
        total = 1 + len(template.get("steps") or [])  # the template's node and one per stage
        for call in _calls(template):
            items = loop_count(call) or 1
            nodes = items * counts.get(str(call.get("template")), 1) + (1 if items > 1 else 0)
            total += nodes
            if biggest is None or nodes > biggest[1]:
                biggest = (f"template {name!r}, step {call.get('name')!r}", nodes)
        counts[name] = total
    return counts[entry], biggest
