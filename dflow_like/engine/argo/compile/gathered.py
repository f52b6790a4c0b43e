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

A Steps/DAG template's output parameter drawn from such a loop (``valueFrom.parameter``)
would be the same compacted aggregate on Argo (dflow compiles it that way and inherits
it), while the local engine's Steps/DAG output keeps ``None`` at a failed item's place.
Issue 12 asks that positions are never lost and that engines agree, so the local engine
is the truth here: the output becomes a ``valueFrom.expression`` that puts the holes back
from the loop's item count and its pods' ``dflow_position`` (:func:`holed_output`), and
every reader of it (an outer step of any kind, a global output, the record) sees them.
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

from ...._values import decode_value
from ....expr import to_template
from ....expr.references import whole_reference
from ....graph.collect import TemplateTable
from ....graph.dag import DAG
from ....graph.step import Step
from ....graph.steps import Steps
from ....python.template import PythonOPTemplate
from .errors import CompileError
from .groups import group_size
from .loops import _expression_of, _list_expression, item_range, loop_fields, sliced_names

__all__ = [
    "GATHERED_INPUT",
    "LOOP_INPUT",
    "POSITION_OUTPUT",
    "check_grouped_outputs",
    "fallback",
    "fallback_expression",
    "gathered_parameters",
    "holed_output",
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


# Output types whose wire text is always JSON: their values go into the list as they are
# (the local engine decodes them, ``gather_outputs``); any other is kept as the string.
_JSON_TYPES = (int, float, bool)


def _number(value: Any) -> str | None:
    """An expression for an integer given literally, by a whole reference, or as ``{{=...}}``."""
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return text
    if text.startswith("{{=") and text.endswith("}}") and text.count("{{") == 1:
        return f"int({text[3:-2].strip()})"
    path = whole_reference(text)
    return f"int({_expression_of('.'.join(path))})" if path is not None else None


def _item_count(step: Step) -> str | None:
    """An Argo expression for the number of items of looped ``step``; None when the loop's
    list is not one Argo can measure in an expression (a text mixing several tags)."""
    if step.with_param is not None:
        try:
            return f"len({_list_expression(step, str(step.with_param))})"
        except CompileError:
            return None
    if step.with_items is not None:
        return str(len(list(step.with_items)))
    if step.with_sequence is not None:
        seq = step.with_sequence
        data = seq.to_dict() if hasattr(seq, "to_dict") else dict(seq)
        if data.get("count") is not None:
            return _number(data["count"])
        start, end = _number(data.get("start") or 0), _number(data.get("end") or 0)
        return None if start is None or end is None else f"(abs({end} - {start}) + 1)"
    params, _ = sliced_names(step)
    text = step.parameters.get(params[0]) if params else None
    if text is None:
        return None
    if "{{" not in text:
        value = decode_value(text)
        return str(len(value)) if isinstance(value, list) else None
    path = whole_reference(text)
    return f"len(sprig.fromJson({_expression_of('.'.join(path))}))" if path is not None else None


def holed_output(source: Step, scope: str, step: str, name: str) -> str:
    """The expression of a Steps/DAG output drawn from looped ``source``'s output ``name``:
    the aggregate with ``null`` at each failed item's place, one entry per item, as the
    local engine gathers it. Argo's aggregate and the pods' ``dflow_position`` list the
    succeeded items in loop order (``processAggregateNodeOutputs``, operator.go), so item
    ``P[k]`` holds ``V[k]``; before it go as many ``null`` as items were skipped since the
    previous one. A source whose pods report no positions (not a Python OP), or whose item
    count Argo cannot compute, keeps the plain aggregate (``[]`` when there is none)."""
    count = _item_count(source) if isinstance(source.template, PythonOPTemplate) else None
    plain = fallback_expression(scope, step, name)
    if count is None:
        if source.continue_on_failed or source.continue_on_error:
            warnings.warn(
                f"{source.owner}: output {name!r} of this loop is a Steps/DAG output; on Argo it lists only the "
                "items that succeeded (only a Python OP step whose item count Argo can compute keeps None at a "
                "failed item's place, as the local engine does)",
                stacklevel=2,
            )
        return plain
    # an empty loop's Skipped node sets its pods' declared defaults: "null" for the positions
    values = f"(sprig.fromJson({plain}) ?? [])"
    positions = f"(sprig.fromJson({fallback_expression(scope, step, POSITION_OUTPUT)}) ?? [])"
    declared = source.template.outputs.parameters.get(name)
    kind = getattr(declared, "type", None)
    value = f"{values}[#index]" if kind in _JSON_TYPES else f"toJson({values}[#index])"
    gap = f"int(#) - (#index == 0 ? 0 : int({positions}[#index - 1]) + 1)"
    last = f"int({positions}[len({positions}) - 1])"
    spread = (
        f'"[" + join(map({positions}, sprig.repeat({gap}, "null,") + {value}), ",") '
        f'+ sprig.repeat({count} - 1 - {last}, ",null") + "]"'
    )
    return (
        f"len({positions}) == 0 ? toJson(map(0..({count} - 1), nil)) : "
        f"len({positions}) != len({values}) ? {plain} : {spread}"
    )
