"""The whole manifest: metadata, spec-level settings and every template."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from ....graph.collect import TemplateTable
from ....python.template import PythonOPTemplate
from .context import Context
from .gathered import check_grouped_outputs
from .memoize import add_memoize
from .options import CompileOptions
from .pvcs import claim_templates, lower_pvcs

if TYPE_CHECKING:
    from ....workflow import Workflow

__all__ = ["compile_with_templates", "compile_workflow", "template_table"]

API_VERSION = "argoproj.io/v1alpha1"


def template_table(workflow: Workflow) -> TemplateTable:
    """The entrypoint's templates, then the exit handler's (named in the same table)."""
    table = TemplateTable(workflow.entrypoint)
    if workflow.on_exit is not None:
        table._visit(workflow.on_exit)  # same naming rules, one namespace of names
    return table


def _metadata(workflow: Workflow) -> dict[str, Any]:
    meta: dict[str, Any] = {"generateName": f"{workflow.name}-"}
    if workflow.labels:
        meta["labels"] = dict(workflow.labels)
    if workflow.annotations:
        meta["annotations"] = dict(workflow.annotations)
    return meta


def compile_workflow(
    workflow: Workflow, opts: CompileOptions | None = None, table: TemplateTable | None = None
) -> dict[str, Any]:
    """The Argo ``Workflow`` manifest of ``workflow`` as plain dicts (no model objects).

    ``table``: the one ``workflow.validate()`` just returned, whose findings it reuses.
    """
    return compile_with_templates(workflow, opts, table)[0]


def compile_with_templates(
    workflow: Workflow, opts: CompileOptions | None = None, table: TemplateTable | None = None
) -> tuple[dict[str, Any], dict[str, PythonOPTemplate]]:
    """The manifest and the Python OP templates its pods run, by template name."""
    opts = opts or CompileOptions.from_config()
    entrypoint, on_exit, claims = lower_pvcs(workflow.entrypoint, workflow.on_exit)
    if claims:  # compile copies in which the claim-using steps have their own templates
        workflow = copy.copy(workflow)
        workflow.entrypoint, workflow.on_exit = entrypoint, on_exit
    if claims or table is None:  # the copies are not the validated graph
        table = template_table(workflow)
    spec: dict[str, Any] = {"entrypoint": table.name_of(workflow.entrypoint)}
    if workflow.parameters:
        spec["arguments"] = {"parameters": [{"name": k, "value": v} for k, v in workflow.parameters.items()]}
    if workflow.parallelism:
        spec["parallelism"] = int(workflow.parallelism)
    if workflow.on_exit is not None:
        spec["onExit"] = table.name_of(workflow.on_exit)
    ttl = workflow.ttl_seconds_after_finished or opts.ttl_seconds
    if ttl:
        spec["ttlStrategy"] = {"secondsAfterCompletion": int(ttl)}
    if workflow.pod_gc_strategy:
        spec["podGC"] = {"strategy": workflow.pod_gc_strategy}
    if claims:
        spec["volumeClaimTemplates"] = claim_templates(claims)
    if opts.s3.mode == "repo":
        spec["artifactRepositoryRef"] = {"key": opts.s3.repo_key}
    check_grouped_outputs(table)  # before any template: Slices(group_size=...) read only by Python OPs
    ctx = Context(table, opts)
    roots = [workflow.entrypoint] + ([workflow.on_exit] if workflow.on_exit is not None else [])
    spec["templates"] = ctx.compile_all(roots)
    add_memoize(spec["templates"], table, dict(ctx.python_templates()), bool(getattr(workflow, "cache", False)))
    manifest = {"apiVersion": API_VERSION, "kind": "Workflow", "metadata": _metadata(workflow), "spec": spec}
    return manifest, ctx.python_templates()
