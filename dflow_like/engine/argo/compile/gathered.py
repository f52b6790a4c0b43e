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

from ....graph.step import Step
from ....python.template import PythonOPTemplate
from .loops import loop_fields

__all__ = [
    "GATHERED_INPUT",
    "LOOP_INPUT",
    "POSITION_OUTPUT",
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


def looped_output(text: str, looped: set[str] | dict[str, Step]) -> tuple[str, str, str] | None:
    """(scope, step, parameter) when ``text`` is one reference to a looped step's output."""
    match = _OUTPUT_PARAMETER.match(text.strip())
    if match is None or match.group(2) not in looped or match.group(3).startswith("dflow_"):
        return None
    return match.group(1), match.group(2), match.group(3)


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
        found = looped_output(value, looped) if isinstance(value, str) else None
        if found is None:
            params[name] = value
            continue
        scope, producer, output = found
        source = looped[producer]
        params[name] = fallback(scope, producer, output)
        if isinstance(source.template, PythonOPTemplate):  # its pods report their positions
            positions = fallback(scope, producer, POSITION_OUTPUT)
            holes.append(f'"{name}":{{"items":{_items(loop_fields(source))},"positions":{positions}}}')
    if not (holes or artifacts) or not isinstance(step.template, PythonOPTemplate):
        return params, None
    names = json.dumps(sorted(artifacts), separators=(",", ":"))
    return params, '{"parameters":{' + ",".join(holes) + '},"artifacts":' + names + "}"
