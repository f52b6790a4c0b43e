"""Gathered outputs of a looped step on Argo: empty loops, and the places of failed items.

Argo aggregates ``{{steps.x.outputs.parameters.y}}`` of a loop from its *Succeeded*
children only, and sets nothing when no child succeeded or the loop had no items
(``processAggregateNodeOutputs`` in workflow/controller/operator.go; an empty loop is a
``Skipped`` node, ``"Skipped, empty params"`` in ``expandStepGroup``, steps.go, and
``executeDAGTask``, dag.go, whose declared outputs are absent, ``addSkippedNodeOutputsToScope``
in scope.go). The local engine gathers one value per item, ``None`` where an item failed,
and ``[]`` for no items (``engine/local/fanout.py``, ``gather_outputs``). So a consumer's
argument that is a looped step's output becomes an expression that falls back to ``[]``
(``??``; Argo guards the references left of ``??``, ``guardVisitor`` in
util/template/expression_template.go), and a Python OP consumer also gets the hidden
``dflow_gathered``: per such parameter the loop's items and the positions of the items
that succeeded (every looped Python pod reports its own as ``dflow_position``, read from
``{{node.name}}``), from which its pod puts the holes back (``runner/pod.py``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ....expr import to_template
from ....graph.collect import TemplateTable
from ....graph.dag import DAG
from ....graph.step import Step
from ....graph.steps import Steps
from ....python.template import PythonOPTemplate
from .errors import CompileError
from .groups import group_size
from .loops import item_range, loop_fields

__all__ = [
    "GATHERED_INPUT",
    "LOOP_INPUT",
    "POSITION_OUTPUT",
    "check_grouped_outputs",
    "fallback",
    "fallback_expression",
    "gathered_parameters",
    "looped_output",
]

GATHERED_INPUT = "dflow_gathered"
LOOP_INPUT = "dflow_loop"
POSITION_OUTPUT = "dflow_position"

_OUTPUT_PARAMETER = re.compile(r"^\{\{\s*(steps|tasks)\.([^.}\s]+)\.outputs\.parameters\.([^.}\s]+)\s*\}\}$")


def fallback_expression(scope: str, step: str, name: str) -> str:
    """``scope.step.outputs.parameters.name``, or ``"[]"`` when Argo set nothing for it."""
    return f"({scope}['{step}']?.outputs?.parameters ?? {{}})['{name}'] ?? '[]'"


def fallback(scope: str, step: str, name: str) -> str:
    """:func:`fallback_expression` as a template tag."""
    return f"{{{{={fallback_expression(scope, step, name)}}}}}"


def looped_output(
    text: str, looped: set[str] | dict[str, Step], grouped_ok: bool = False
) -> tuple[str, str, str] | None:
    """(scope, step, parameter) when ``text`` is one reference to a looped step's output.

    A grouped step's (``Slices(group_size=...)``) aggregate is a list of per-pod lists
    that only a Python OP's pod flattens (``grouped_ok``: the caller makes sure); any
    other reader, such as a Steps/DAG output, is refused.
    """
    match = _OUTPUT_PARAMETER.match(text.strip())
    if match is None or match.group(2) not in looped or match.group(3).startswith("dflow_"):
        return None
    source = looped[match.group(2)] if isinstance(looped, dict) else None
    if source is not None and group_size(source) and not grouped_ok:
        raise _grouped_reader(source, match.group(3), "a Steps/DAG output")
    return match.group(1), match.group(2), match.group(3)


def check_grouped_outputs(table: TemplateTable) -> None:
    """Refuse a Steps/DAG output parameter drawn from a grouped step's gathered output."""
    for _, template in table:
        if isinstance(template, Steps):
            calls = [step for stage in template.steps for step in stage]
        elif isinstance(template, DAG):
            calls = list(template.tasks)
        else:
            continue
        grouped = {step.name: step for step in calls if group_size(step)}
        for par in template.outputs.parameters.values() if grouped else ():
            if par.value_from_parameter is not None:
                looped_output(to_template(par.value_from_parameter), grouped)


def _grouped_reader(source: Step, output: str, reader: str) -> CompileError:
    return CompileError(
        f"{source.owner}: Slices(group_size={group_size(source)}): its output parameter {output!r} is read by "
        f"{reader}; on Argo only a Python OP step can take a grouped step's outputs (Argo gathers one list "
        "per pod, which that step's pod puts back in item order): read it in a Python OP step, or drop group_size"
    )


def _items(loop: dict[str, Any]) -> str:
    """The loop's items as JSON text once Argo has rendered it (a withParam is a JSON list)."""
    if "withParam" in loop:
        return str(loop["withParam"])
    if "withItems" in loop:
        return json.dumps(loop["withItems"], separators=(",", ":"))
    return json.dumps({"sequence": loop.get("withSequence", {})}, separators=(",", ":"))


def gathered_parameters(step: Step, looped: dict[str, Step], artifacts: list[str]) -> tuple[dict[str, str], str | None]:
    """``step``'s parameter arguments with looped sources made safe, and its ``dflow_gathered``
    (``artifacts``: its gathered input artifacts, empty rather than absent when no item made one)."""
    params: dict[str, str] = {}
    holes: list[str] = []
    for name, value in step.parameters.items():
        found = looped_output(value, looped, grouped_ok=True) if isinstance(value, str) else None
        if found is None:
            params[name] = value
            continue
        scope, producer, output = found
        source = looped[producer]
        params[name] = fallback(scope, producer, output)
        grouped = group_size(source) is not None
        if grouped and not isinstance(step.template, PythonOPTemplate):
            raise _grouped_reader(source, output, f"step {step.name!r} (a {type(step.template).__name__})")
        if isinstance(source.template, PythonOPTemplate):  # its pods report their positions
            positions = fallback(scope, producer, POSITION_OUTPUT)
            items = item_range(source) if grouped else _items(loop_fields(source))
            group = ',"grouped":true' if grouped else ""
            holes.append(f'"{name}":{{"items":{items},"positions":{positions}{group}}}')
    if not (holes or artifacts) or not isinstance(step.template, PythonOPTemplate):
        return params, None
    names = json.dumps(sorted(artifacts), separators=(",", ":"))
    return params, '{"parameters":{' + ",".join(holes) + '},"artifacts":' + names + "}"
