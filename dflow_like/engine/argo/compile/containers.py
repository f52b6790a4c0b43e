"""``steps`` and ``dag`` templates: inputs, the calls, and outputs drawn from children."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ...._values import encode_value
from ....expr import ArgoVar, to_template
from ....graph.dag import DAG
from ....graph.step import Step
from ....graph.steps import Steps
from ....graph.template import OPTemplate
from .calls import compile_call, gathers, output_artifact_ref
from .descriptions import described
from .errors import CompileError
from .gathered import holed_output, looped_output
from .loops import is_looped

if TYPE_CHECKING:
    from .context import Context

__all__ = ["dag_template", "steps_template"]


def _inputs(name: str, template: OPTemplate) -> dict[str, Any]:
    params: list[dict[str, Any]] = []
    for pname, par in template.inputs.parameters.items():
        entry: dict[str, Any] = {"name": pname}
        if par.has_value:
            entry["default"] = encode_value(par.value)
        params.append(described(entry, par.type))
    params += [{"name": "dflow_path", "default": name}, {"name": "dflow_key", "default": ""}]
    inputs: dict[str, Any] = {"parameters": params}
    arts = [
        {"name": aname, **({"optional": True} if art.optional else {})}
        for aname, art in template.inputs.artifacts.items()
    ]
    if arts:
        inputs["artifacts"] = arts
    return inputs


def _expression(value: Any) -> str:
    if isinstance(value, ArgoVar):
        return str(value.expr)
    text = str(value).strip()
    return text[3:-2].strip() if text.startswith("{{=") and text.endswith("}}") else text


def _outputs(template: OPTemplate, gathered: set[str], looped: dict[str, Step]) -> dict[str, Any]:
    params: list[dict[str, Any]] = []
    for name, par in template.outputs.parameters.items():
        entry: dict[str, Any] = {"name": name}
        reference = to_template(par.value_from_parameter) if par.value_from_parameter is not None else None
        from_loop = looped_output(reference, looped) if reference is not None else None
        if from_loop is not None:  # [] for no items, None at failed items' places, as locally (gathered.py)
            entry["valueFrom"] = {"expression": holed_output(looped[from_loop[1]], *from_loop)}
        elif reference is not None:
            entry["valueFrom"] = {"parameter": reference}
        elif par.value_from_expression is not None:
            entry["valueFrom"] = {"expression": _expression(par.value_from_expression)}
        elif par.has_value:
            entry["value"] = encode_value(par.value)
        elif "default" in par.__dict__:
            entry["value"] = encode_value(par.default)
        else:
            continue
        if par.global_name:
            entry["globalName"] = par.global_name
        params.append(described(entry, par.type or getattr(par.value_from_parameter, "type", None)))
    artifacts: list[dict[str, Any]] = []
    for name, art in template.outputs.artifacts.items():
        if art._from is not None:
            text = to_template(art._from)
            source = output_artifact_ref(text)
            if source is not None and source[0] in gathered:
                raise CompileError(
                    f"template {template.name!r}: output artifact {name!r} comes from looped step "
                    f"{source[0]!r}; on Argo pass it to a step instead (gathered artifacts cannot "
                    "be a Steps/DAG output yet)"
                )
            entry = {"name": name, "from": text}
        elif art.from_expression is not None:
            entry = {"name": name, "fromExpression": _expression(art.from_expression)}
        else:
            continue
        if art.global_name:
            entry["globalName"] = art.global_name
        artifacts.append(entry)
    out: dict[str, Any] = {}
    if params:
        out["parameters"] = params
    if artifacts:
        out["artifacts"] = artifacts
    return out


def _parallelism(name: str, template: OPTemplate, calls: Sequence[Step]) -> int | None:
    """The template's cap, lowered to the smallest cap of a fan-out step inside it.

    Argo caps templates, not steps, so a sliced step's ``parallelism`` caps the
    template that holds it, as dflow compiles it: never more at once than asked,
    but its siblings share the cap (a warning says so when there are siblings).
    """
    caps = [(step.name, int(step.parallelism)) for step in calls if step.parallelism and is_looped(step)]
    if caps and len(calls) > 1:
        named = ", ".join(f"{n!r} ({c})" for n, c in caps)
        warnings.warn(
            f"template {name!r}: on Argo the parallelism of step {named} caps the whole template "
            "(Argo has no per-step cap), so its other steps share it; the local engine caps the step alone",
            stacklevel=2,
        )
    values = [c for _, c in caps] + ([int(template.parallelism)] if template.parallelism else [])
    return min(values) if values else None


def _frame(
    name: str, template: OPTemplate, calls: Sequence[Step], body_key: str, body: Any, gathered: set[str]
) -> dict[str, Any]:
    compiled: dict[str, Any] = {"name": name, "inputs": _inputs(name, template)}
    looped = {step.name: step for step in calls if is_looped(step)} if template.outputs.parameters else {}
    outputs = _outputs(template, gathered, looped)
    if outputs:
        compiled["outputs"] = outputs
    parallelism = _parallelism(name, template, calls)
    if parallelism:
        compiled["parallelism"] = parallelism
    compiled[body_key] = body
    return compiled


def steps_template(name: str, template: Steps, ctx: Context) -> dict[str, Any]:
    ctx.looped = {step.name: step for stage in template.steps for step in stage if is_looped(step)}
    gathered: set[str] = set()
    stages: list[list[dict[str, Any]]] = []
    for stage in template.steps:
        nodes = [compile_call(step, ctx, gathered) for step in stage]
        stages.append(nodes)
        checks = [check for step, node in zip(stage, nodes) if (check := ctx.check(step, node, "steps"))]
        if checks:
            stages.append(checks)  # right after the loop, before anything that uses its outputs
        gathered.update(step.name for step in stage if gathers(step))
    calls = [step for stage in template.steps for step in stage]
    return _frame(name, template, calls, "steps", stages, gathered)


def _waiting_for(nodes: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    waiting: dict[str, list[dict[str, Any]]] = {}
    for node in nodes:
        for dep in node.get("dependencies", []):
            waiting.setdefault(dep, []).append(node)
    return waiting


def dag_template(name: str, template: DAG, ctx: Context) -> dict[str, Any]:
    ctx.current_tasks, ctx.looped = set(), {}
    for task in template.tasks:  # one pass: at 10,000 tasks each pass costs its cache misses
        ctx.current_tasks.add(task.name)
        if is_looped(task):
            ctx.looped[task.name] = task
    gathered = {n for n, task in ctx.looped.items() if gathers(task)}  # only looped calls gather
    tasks: list[dict[str, Any]] = []
    checks: list[tuple[str, dict[str, Any]]] = []
    for task in template.tasks:
        node = compile_call(task, ctx, gathered)
        tasks.append(node)
        check = ctx.check(task, node, "tasks")
        if check is not None:
            checks.append((task.name, check))
    ctx.current_tasks = set()
    waiting = _waiting_for(tasks) if checks else {}  # once: a scan of every task per check was quadratic
    for looped, check in checks:  # after every task, in their order
        check["dependencies"] = [looped]
        for other in waiting.get(looped, []):  # whatever waits for the loop waits for its check too
            other["dependencies"].append(check["name"])
        tasks.append(check)
    return _frame(name, template, template.tasks, "dag", {"tasks": tasks}, gathered)
