"""A step's cache key: its code, the template settings that change results, its inputs' values and contents."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..artifacts import ArtifactRef
from ..graph.template import OPTemplate
from .content import ContentDigests

__all__ = ["settings_of", "step_key"]


def settings_of(template: OPTemplate) -> dict[str, Any]:
    """What of a template, besides its code, decides its outputs: where and how it runs, what it saves."""
    return {
        "kind": type(template).__name__,
        "image": template.image,
        "command": list(getattr(template, "command", []) or []),
        "envs": {str(k): str(v) for k, v in sorted(template.envs.items())},
        "script": getattr(template, "script", None),
        "outputs": sorted((n, str(a.archive)) for n, a in template.outputs.artifacts.items()),
    }


def step_key(
    code: str, template: OPTemplate, params: dict[str, str], arts: dict[str, Any], contents: ContentDigests
) -> str | None:
    """SHA-256 (hex) of everything a step's result depends on; None if an input cannot be hashed (a PVC)."""
    artifacts: dict[str, str] = {}
    for name, arg in sorted(arts.items()):
        if arg is not None and not isinstance(arg, ArtifactRef):
            return None
        artifacts[name] = contents.artifact(arg)
    data = {"code": code, "settings": settings_of(template), "parameters": dict(sorted(params.items()))}
    data["artifacts"] = artifacts
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
