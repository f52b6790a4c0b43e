"""Per-template run settings shared by every leaf: retries, deadline, resources, metadata."""

from __future__ import annotations

from typing import Any

from ....graph.template import OPTemplate

__all__ = ["TRANSIENT_EXPRESSION", "leaf_settings", "resources", "retry_strategy"]

# The runner exits 3 on TransientError (runner/codes.py): retry only those.
TRANSIENT_EXPRESSION = "asInt(lastRetry.exitCode) == 3"
_POLICY = {"failure": "OnFailure", "error": "OnError", "failure_and_error": "Always"}
_RESOURCE_NAMES = {"gpu": "nvidia.com/gpu", "gpus": "nvidia.com/gpu"}


def _seconds(value: float) -> str:
    return f"{int(value)}s" if float(value).is_integer() else f"{value}s"


def retry_strategy(template: OPTemplate) -> dict[str, Any] | None:
    policy = template.retry
    if policy.limit <= 0 or not policy.on:
        return None
    strategy: dict[str, Any] = {"limit": str(policy.limit)}
    if policy.on == "transient":
        strategy["retryPolicy"] = "Always"
        strategy["expression"] = TRANSIENT_EXPRESSION
    else:
        strategy["retryPolicy"] = _POLICY[policy.on]
    if policy.backoff_seconds > 0:
        strategy["backoff"] = {
            "duration": _seconds(policy.backoff_seconds),
            "factor": str(int(policy.backoff_factor))
            if float(policy.backoff_factor).is_integer()
            else str(policy.backoff_factor),
            "maxDuration": _seconds(policy.backoff_max_seconds),
        }
    return strategy


def resources(template: OPTemplate) -> dict[str, Any] | None:
    """``requests``/``limits`` with ``gpu`` spelled as Kubernetes does (``nvidia.com/gpu``)."""
    out: dict[str, Any] = {}
    for field, values in (("requests", template.requests), ("limits", template.limits)):
        if values:
            out[field] = {_RESOURCE_NAMES.get(k, k): str(v) for k, v in values.items()}
    return out or None


def leaf_settings(template: OPTemplate, body: dict[str, Any], deadline: float | None) -> None:
    """Add the settings every pod template shares to ``body`` (in place, in a fixed order)."""
    retry = retry_strategy(template)
    if retry:
        body["retryStrategy"] = retry
    if deadline:
        body["timeout"] = _seconds(deadline)
    meta = {k: v for k, v in (("labels", template.labels), ("annotations", template.annotations)) if v}
    if meta:
        body["metadata"] = {k: dict(v) for k, v in meta.items()}
    if template.node_selector:
        body["nodeSelector"] = dict(template.node_selector)
