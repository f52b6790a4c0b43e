"""A step or task calling a template: its arguments, loop, condition and failure rules."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ....artifacts import ArtifactRef
from ....expr.references import output_reference
from ....graph.dag import DAG
from ....graph.step import Step
from ....graph.steps import Steps
from ....python.template import PythonOPTemplate
from .artifacts import gathered_argument, literal_argument
from .errors import CompileError
from .gathered import GATHERED_INPUT, LOOP_INPUT, gathered_parameters
from .groups import group_size
from .loops import is_looped, item_range, loop_fields, sliced_names
from .thresholds import threshold_of

if TYPE_CHECKING:
    from .context import Context

__all__ = ["compile_call", "gathers", "output_artifact_ref"]


def gathers(step: Step) -> bool:
    """Whether this call runs the gather variant: a looped Python OP with output artifacts."""
    template = step.template
    return isinstance(template, PythonOPTemplate) and bool(template.outputs.artifacts) and is_looped(step)


def output_artifact_ref(text: str) -> tuple[str, str] | None:
    """(step, artifact) of a ``{{steps.a.outputs.artifacts.x}}`` reference, else None."""
    ref = output_reference(text, "artifacts")
    return (ref[1], ref[2]) if ref else None


def _artifact_arguments(
    step: Step, ctx: Context, gathered: set[str]
) -> tuple[list[dict[str, Any]], dict[str, Any], list[str]]:
    """The artifact arguments, the layouts of uploaded ones, the names gathered from loops."""
    args: list[dict[str, Any]] = []
    layouts: dict[str, Any] = {}
    from_loops: list[str] = []
    for name, value in step.artifacts.items():
        if value is None:
            continue
        if isinstance(value, ArtifactRef):
            args.append(literal_argument(step.owner, name, value, ctx.opts))
            if value.parts[0].layout is not None:
                layouts[name] = value.parts[0].layout
            continue
        if not isinstance(value, str):  # a PVC: lowered into the step's own template (pvcs.py)
            raise CompileError(f"{step.owner}: artifact {name!r}: a PVC left after lowering")
        source = output_artifact_ref(value)
        if source is not None and source[0] in gathered:
            args.append(gathered_argument(name, source[0], source[1], ctx.opts))
            from_loops.append(name)
        else:
            args.append({"name": name, "from": value})
    return args, layouts, from_loops


def _hidden_parameters(step: Step, layouts: dict[str, Any], gather: bool) -> list[dict[str, str]]:
    hidden: list[dict[str, str]] = []
    if step.key is not None:
        hidden.append({"name": "dflow_key", "value": step.key})
    template = step.template
    if isinstance(template, (Steps, DAG)):
        suffix = "/{{item}}" if is_looped(step) else ""
        hidden.append({"name": "dflow_path", "value": f"{{{{inputs.parameters.dflow_path}}}}/{step.name}{suffix}"})
    if not isinstance(template, PythonOPTemplate):
        if layouts:
            raise CompileError(
                f"{step.owner}: uploaded artifacts keep their file layout only when passed "
                "straight to a Python OP step on Argo"
            )
        return hidden
    if layouts:
        hidden.append({"name": "dflow_layouts", "value": json.dumps(layouts, separators=(",", ":"))})
    params, arts = sliced_names(step)
    if params or arts:
        # dflow's default: the item's value is the index (``fanout.slice_index`` says why)
        expression = (step.slices.slices if step.slices is not None else None) or "{{item}}"
        layout: dict[str, Any] = {"parameters": params, "artifacts": arts}
        if group_size(step):  # the pod runs the items of a group (groups.py)
            layout["group_size"] = group_size(step)
            if step.with_param is not None or step.with_items is not None:
                layout["items"] = "@ITEMS@"  # the loop's list, spliced in (JSON once Argo renders it)
                layout["by_value"] = True  # item i takes element items[i], as dflow's with_param[i] (groups.py)
            if step.slices is not None and (step.slices.pool_size or 1) > 1:
                layout["pool_size"] = step.slices.pool_size  # items at once in the pod, as dflow's Pool
            if step.continue_on_failed or threshold_of(step) is not None:
                layout["tolerant"] = True  # a failed item leaves a hole, not a failed pod
        sliced = json.dumps(layout, separators=(",", ":")).replace('"@ITEMS@"', item_range(step))
        hidden += [{"name": "dflow_slice", "value": str(expression)}, {"name": "dflow_sliced", "value": sliced}]
    if gather:
        hidden += [
            {"name": "dflow_group", "value": f"{{{{inputs.parameters.dflow_path}}}}/{step.name}"},
            {"name": "dflow_item", "value": "{{item}}"},
        ]
    if is_looped(step):  # its pods report their item's position (see gathered.py)
        hidden.append({"name": LOOP_INPUT, "value": step.name})
    return hidden


def compile_call(step: Step, ctx: Context, gathered: set[str]) -> dict[str, Any]:
    """One entry of ``steps`` or ``dag.tasks``; ``gathered``: looped leaves of this template."""
    if step.executor is not None:
        raise CompileError(
            f"{step.owner}: executor={type(step.executor).__name__} (Slurm) is not supported on "
            "Argo yet; run this workflow on the local engine, or drop executor= for Argo"
        )
    gather = gathers(step)
    node: dict[str, Any] = {"name": step.name, "template": ctx.template_name(step.template, gather)}
    artifacts, layouts, from_loops = _artifact_arguments(step, ctx, gathered)
    values, holes = gathered_parameters(step, ctx.looped, from_loops)
    parameters = [{"name": n, "value": v} for n, v in values.items()]
    parameters += _hidden_parameters(step, layouts, gather)
    if holes is not None:
        parameters.append({"name": GATHERED_INPUT, "value": holes})
    arguments: dict[str, Any] = {}
    if parameters:
        arguments["parameters"] = parameters
    if artifacts:
        arguments["artifacts"] = artifacts
    if arguments:
        node["arguments"] = arguments
    if step.is_task:
        deps = ctx.dependencies(step)
        if deps:
            node["dependencies"] = deps
    node.update(loop_fields(step))
    if step.when is not None:
        node["when"] = step.when
    failed = step.continue_on_failed or threshold_of(step) is not None  # the check step decides
    if failed or step.continue_on_error:
        node["continueOn"] = {k: True for k, flag in (("failed", failed), ("error", step.continue_on_error)) if flag}
    return node
