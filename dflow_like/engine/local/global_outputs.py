"""A run's global outputs: step outputs given a ``global_name``, as Argo exports them.

Argo copies an output with ``globalName`` into the workflow's ``status.outputs`` when its
node completes; when several nodes export the same name, the last to finish wins. The
names come from where the Argo compiler takes them (``compile/leaves._python_outputs``,
``compile/containers``): ``output_*_global_name`` of a ``PythonOPTemplate`` first, else
the output's own ``global_name``.
"""

from __future__ import annotations

from typing import Any

from ...graph.collect import TemplateTable
from ...graph.template import OPTemplate
from ...records import StepRecord

__all__ = ["global_outputs"]


def _names(template: OPTemplate, kind: str) -> dict[str, str]:
    """``{output name: global name}`` of a template's parameters or artifacts."""
    overrides: dict[str, str] = getattr(template, f"output_{kind[:-1]}_global_name", None) or {}
    fields = getattr(template.outputs, kind)
    names = {n: overrides.get(n) or getattr(f, "global_name", None) for n, f in fields.items()}
    return {n: g for n, g in names.items() if g}


def global_outputs(records: list[StepRecord], table: TemplateTable) -> dict[str, Any]:
    """``{"parameters": {global name: wire value}, "artifacts": {global name: ArtifactRef JSON}}``."""
    found: dict[str, Any] = {"parameters": {}, "artifacts": {}}
    done = [r for r in records if r.phase == "Succeeded" and r.type != "StepGroup"]
    for rec in sorted(done, key=lambda r: r.end_time or 0.0):
        template = table.by_name.get(rec.template)
        if template is None:
            continue
        for name, global_name in _names(template, "parameters").items():
            if name in rec.outputs.parameters:
                found["parameters"][global_name] = rec.outputs.parameters[name].raw
        for name, global_name in _names(template, "artifacts").items():
            if name in rec.outputs.artifacts:
                found["artifacts"][global_name] = rec.outputs.artifacts[name].to_json()
    return found
