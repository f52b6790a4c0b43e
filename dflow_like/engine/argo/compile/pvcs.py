"""PVC artifacts on Argo: volume claim templates, mounts, and the script lines that use them.

As dflow's ``Step.convert_to_argo`` (``dflow/step.py``): a step whose input artifact is a
``PVC`` gets its own copy of the script template without that input, its script starting
with ``ln -s /tmp/mnt/<subpath> <path>`` (its directory made first); a step saving an output into a claim ends its
script copying the output there (dflow: ``cp -r``; here into a temporary name, then
``mv``, so a reader polling for it never sees half a file). Every claim is mounted at
``/tmp/mnt`` and listed once in ``spec.volumeClaimTemplates`` (``Workflow.convert_to_argo``).
A workflow without claims is compiled from the user's own objects, untouched.
"""

from __future__ import annotations

import copy
import posixpath
import shlex
from collections.abc import Iterator
from typing import Any

from ....graph.collect import children_of
from ....graph.io import PVC, Inputs
from ....graph.script_templates import PythonScriptOPTemplate, ScriptOPTemplate
from ....graph.step import Step
from ....graph.template import OPTemplate
from .errors import CompileError

__all__ = ["MOUNT", "claim_templates", "lower_pvcs"]

MOUNT = "/tmp/mnt"


def _walk(roots: list[OPTemplate]) -> Iterator[Step]:
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        template = stack.pop()
        if id(template) in seen:
            continue
        seen.add(id(template))
        last = None  # steps in a row often share their template: pushed once
        for step in children_of(template):
            yield step
            if step.template is not last:
                last = step.template
                stack.append(last)


def _uses_claims(step: Step) -> bool:
    if step.artifacts and any(isinstance(a, PVC) for a in step.artifacts.values()):
        return True
    outputs = step.output_fields().artifacts
    return bool(outputs) and any(a.pvcs() for a in outputs.values())


def _line(template: ScriptOPTemplate, command: str) -> str:
    if isinstance(template, PythonScriptOPTemplate):
        return f"import os; os.system({command!r})"
    return command


def _lowered(step: Step) -> None:
    template = step.template
    if not isinstance(template, ScriptOPTemplate):
        raise CompileError(f"{step.owner}: only script templates can use a PVC, as in dflow")
    own = copy.copy(template)
    own.name = f"{template.name}-{step.name}"
    own.inputs = Inputs(dict(template.inputs.parameters), dict(template.inputs.artifacts))  # not the shared one
    head: list[str] = []
    claims: list[PVC] = []
    for name, arg in list(step.artifacts.items()):
        if isinstance(arg, PVC):
            path = template.inputs.artifacts[name].path or f"/tmp/inputs/{name}"
            parent = shlex.quote(posixpath.dirname(path) or "/")
            head.append(_line(own, f"mkdir -p {parent} && ln -s {MOUNT}/{arg.subpath} {shlex.quote(path)}"))
            del own.inputs.artifacts[name]
            del step.artifacts[name]
            claims.append(arg)
    tail: list[str] = []
    for name, art in step.outputs.artifacts.items():
        for claim in art.pvcs():
            src, dst = shlex.quote(template.outputs.artifacts[name].path or ""), f"{MOUNT}/{claim.subpath}"
            tail.append(_line(own, f"cp -r {src} {dst}.partial && mv {dst}.partial {dst}"))
            claims.append(claim)
    own.script = "\n".join([*head, template.script, *tail])
    own.volume_mounts = [{"name": n, "mountPath": MOUNT} for n in dict.fromkeys(c.name for c in claims)]  # type: ignore[attr-defined]
    step.template = own


def lower_pvcs(entrypoint: OPTemplate, on_exit: OPTemplate | None) -> tuple[OPTemplate, OPTemplate | None, list[PVC]]:
    """Copies of the graphs with each claim-using step on its own template, and every claim."""
    roots = [entrypoint] + ([on_exit] if on_exit is not None else [])
    if not any(_uses_claims(s) for s in _walk(roots)):
        return entrypoint, on_exit, []
    entrypoint, on_exit = copy.deepcopy((entrypoint, on_exit))
    claims: list[PVC] = []
    for step in list(_walk([entrypoint] + ([on_exit] if on_exit is not None else []))):  # whole before lowering
        if _uses_claims(step):
            claims += [a for a in step.artifacts.values() if isinstance(a, PVC)]
            claims += [c for a in step.outputs.artifacts.values() for c in a.pvcs()]
            _lowered(step)
    return entrypoint, on_exit, claims


def claim_templates(claims: list[PVC]) -> list[dict[str, Any]]:
    """``spec.volumeClaimTemplates``: one per claim name (the first one's size and class)."""
    out: dict[str, dict[str, Any]] = {}
    for claim in claims:
        if claim.name in out:
            continue
        spec: dict[str, Any] = {
            "accessModes": list(claim.access_modes),
            "resources": {"requests": {"storage": claim.size}},
        }
        if claim.storage_class:
            spec["storageClassName"] = claim.storage_class
        out[claim.name] = {"metadata": {"name": claim.name}, "spec": spec}
    return list(out.values())
