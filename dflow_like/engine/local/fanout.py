"""Fan-out: the items of a step, slicing inputs per item, gathering outputs back."""

from __future__ import annotations

import json
from typing import Any

from ...artifacts import ArtifactPart, ArtifactRef
from ...expr import expand_sequence, render
from ...graph.step import Step
from ...graph.template import OPTemplate
from ...records import IORecord, ParameterRecord, StepRecord
from ...values import decode_value, encode_value

__all__ = [
    "SliceError",
    "fan_out_items",
    "gather_outputs",
    "is_fan_out",
    "slice_artifact",
    "slice_index",
]


# The recorded type of a gathered output parameter: a JSON list, decoded on access
# (an untyped parameter, type "", stays a string; see ``records.ParameterRecord``).
GATHERED_TYPE = "list"


class SliceError(ValueError):
    """A fan-out that cannot be done as asked; names the step and the field."""


def is_fan_out(step: Step) -> bool:
    if step.with_param is not None or step.with_sequence is not None or step.with_items is not None:
        return True
    slices = step.slices
    return slices is not None and bool(slices.input_parameter or slices.input_artifact)


def artifact_length(ref: ArtifactRef | None) -> int:
    if ref is None:
        return 0
    if ref.gathered or len(ref.parts) > 1:
        return len(ref.parts)
    layout = ref.parts[0].layout if ref.parts else None
    return len(layout) if isinstance(layout, list) else 1


def list_parameter(step: Step, name: str, raw: str) -> list[Any]:
    value = decode_value(raw)
    if not isinstance(value, list):
        raise SliceError(
            f"step {step.name!r}: Slices input parameter {name!r} must be a list, "
            f"got {type(value).__name__} {raw[:60]!r}"
        )
    return value


def fan_out_items(step: Step, scope: dict[str, Any], params: dict[str, str], arts: dict[str, Any]) -> list[Any]:
    """The items of a fan-out: ``with_param``/``with_sequence``/``with_items``, else one per slice."""
    if step.with_param is not None:
        text = render(step.with_param, scope)
        try:
            items = json.loads(text)
        except json.JSONDecodeError:
            raise SliceError(f"step {step.name!r}: with_param must be a JSON list, got {text[:80]!r}") from None
        if not isinstance(items, list):
            raise SliceError(f"step {step.name!r}: with_param must be a JSON list, got {text[:80]!r}")
        return items
    if step.with_sequence is not None:
        return list(expand_sequence(step.with_sequence, scope))
    if step.with_items is not None:
        return list(step.with_items)
    slices = step.slices
    if slices is None:
        return []
    lengths: dict[str, int] = {}
    for name in slices.input_parameter:
        lengths[f"parameter {name!r}"] = len(list_parameter(step, name, params[name]))
    for name in slices.input_artifact:
        lengths[f"artifact {name!r}"] = artifact_length(arts.get(name))
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise SliceError(f"step {step.name!r}: sliced inputs have unequal lengths ({detail})")
    return list(range(next(iter(lengths.values()), 0)))


def slice_index(step: Step, position: int, scope: dict[str, Any]) -> Any:
    """Which element(s) item ``position`` takes: the Slices expression, else the position."""
    expression = step.slices.slices if step.slices is not None else None
    if not expression or "item" not in scope:
        return position
    text = render(expression, scope)
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise SliceError(f"step {step.name!r}: Slices expression {expression!r} gave {text!r}, not an index") from None
    if isinstance(value, (int, list)):
        return value
    raise SliceError(f"step {step.name!r}: Slices expression {expression!r} gave {text!r}, not an index")


def _pick(values: list[Any], index: Any, step: Step, field: str) -> Any:
    try:
        if isinstance(index, list):
            return [values[i] for i in index]
        return values[index]
    except (IndexError, TypeError):
        raise SliceError(
            f"step {step.name!r}: Slices {field}: index {index!r} is out of range for {len(values)} values"
        ) from None


def slice_parameter(step: Step, name: str, values: list[Any], index: Any) -> str:
    return encode_value(_pick(values, index, step, f"input parameter {name!r}"))


def slice_artifact(step: Step, name: str, ref: ArtifactRef | None, index: Any) -> ArtifactRef | None:
    """The piece of a list artifact that one item gets (only its own files)."""
    if ref is None:
        return None
    field = f"input artifact {name!r}"
    if ref.gathered or len(ref.parts) > 1:
        picked = _pick(list(ref.parts), index, step, field)
        parts = tuple(picked) if isinstance(picked, list) else (picked,)
        return ArtifactRef(parts, gathered=isinstance(picked, list), name=ref.name)
    part = ref.parts[0]
    if not isinstance(part.layout, list):
        raise SliceError(f"step {step.name!r}: Slices {field} is not a list artifact (layout {part.layout!r})")
    layout = _pick(part.layout, index, step, field)
    return ArtifactRef((ArtifactPart(part.tree, layout),), name=ref.name)


def gather_outputs(items: list[StepRecord], template: OPTemplate | None = None) -> IORecord:
    """Outputs of a fan-out: parameters as lists, artifacts as one gathered artifact, in item order.

    Every output the template declares is gathered, so a fan-out over zero items
    (``with_param=argo_range(0)``, ``Slices`` over ``[]``) gives ``[]`` for each parameter
    and an artifact with no parts for each artifact, and the steps that consume them run.
    (Argo sets no aggregated outputs for an empty loop — ``processAggregateNodeOutputs``
    in ``workflow/controller/operator.go`` returns early — so a consumer fails there to
    resolve its reference; an empty list is what a program iterating over results expects.)
    """
    done = [r for r in items if r.phase == "Succeeded"]
    gathered = IORecord()
    names = dict.fromkeys(template.outputs.parameters) if template is not None else {}
    names.update(dict.fromkeys(n for r in done for n in r.outputs.parameters))
    for name in names:
        values = [
            decode_value(r.outputs.parameters[name].raw, r.outputs.parameters[name].type_name)
            for r in done
            if name in r.outputs.parameters
        ]
        gathered.parameters[name] = ParameterRecord(name, encode_value(values), GATHERED_TYPE)
    art_names = set(template.outputs.artifacts) if template is not None else set()
    art_names |= {n for r in done for n in r.outputs.artifacts}
    for name in sorted(art_names):
        parts = tuple(p for r in done if name in r.outputs.artifacts for p in r.outputs.artifacts[name].parts)
        gathered.artifacts[name] = ArtifactRef(parts, gathered=True, name=name)
    return gathered
