"""Fan-out: the items of a step, slicing inputs per item, gathering outputs back."""

from __future__ import annotations

import json
from typing import Any

from ..._values import decode_value, encode_value
from ...artifacts import ArtifactPart, ArtifactRef
from ...expr import expand_sequence, render
from ...graph.step import Step
from ...records import IORecord, ParameterRecord, StepRecord

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


def _explicit_loop(step: Step) -> bool:
    return step.with_param is not None or step.with_sequence is not None or step.with_items is not None


def slice_index(step: Step, position: int, scope: dict[str, Any]) -> Any:
    """Which element(s) item ``position`` takes: the Slices expression, which is ``"{{item}}"``
    when none is given, so an explicit loop's item *value* is the index, as in dflow.

    dflow's ``Slices`` defaults ``slices`` to ``"{{item}}"`` (``Slices.__init__``,
    dflow/python/python_op_template.py); ``render_script`` there turns it into an input
    parameter fed ``{{item}}`` and its pod slices with ``obj[slices]``
    (``handle_input_parameter``, dflow/python/utils.py), and its debug mode renders the
    same (``render_item`` in ``Step.exec``, dflow/step.py). So ``with_param=[3, 5, 7]``
    slices elements 3, 5 and 7, on Argo as locally; with no explicit loop the items are
    ``argo_range(len(...))`` (``Step.__init__``, dflow/step.py), value and position alike.
    """
    expression = step.slices.slices if step.slices is not None else None
    if (not expression and not _explicit_loop(step)) or "item" not in scope:
        return position
    if not expression and type(scope["item"]) is int:  # argo_range's items: no rendering per item
        return scope["item"]
    text = render(expression or "{{item}}", scope)
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if isinstance(value, (int, list)) and not isinstance(value, bool):
        return value
    if expression:
        raise SliceError(f"step {step.name!r}: Slices expression {expression!r} gave {text!r}, not an index")
    raise SliceError(
        f"step {step.name!r}: Slices: item {position} of the loop is {text!r}, not an index; with no slices "
        "expression an item's value is the index of the element it takes (as in dflow): loop over indices "
        "(e.g. with_param=argo_range(n)) or give Slices(slices=...)"
    )


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


def gather_outputs(items: list[StepRecord], step: Step | None = None) -> IORecord:
    """Outputs of a fan-out, in item order, keeping every item's place.

    A parameter becomes a list with one value per item, ``None`` where the item did
    not succeed (``continue_on_num_success``/``_ratio``/``_failed`` let a step with
    failed items go on): ``values[i]`` is always item ``i``'s. An artifact becomes
    one gathered artifact of the succeeded items' parts, whose ``positions`` name
    their items when some are missing. (dflow drops failed items instead, so their
    places are lost: ``convert_dflow_list`` in dflow ``utils.py`` sorts what is left.)
    Slurm steps run through this engine, so they gather the same. Argo's controller
    aggregates only Succeeded loop children (``processAggregateNodeOutputs`` in
    ``workflow/controller/operator.go``), so on Argo each item's pod reports its
    position as a hidden output and the consumer's pod re-inserts the holes
    (``engine/argo/compile/gathered.py``); records read from Argo gather the same
    (``engine/argo/loop_records.py``).
    """
    done = [r.phase == "Succeeded" for r in items]
    gathered = IORecord()
    names = {n: p.type_name for r, ok in zip(items, done) if ok for n, p in r.outputs.parameters.items()}
    for name in names:
        values = [
            decode_value(r.outputs.parameters[name].raw, r.outputs.parameters[name].type_name)
            if ok and name in r.outputs.parameters
            else None
            for r, ok in zip(items, done)
        ]
        gathered.parameters[name] = ParameterRecord(name, encode_value(values), GATHERED_TYPE)
    art_names = {n for r, ok in zip(items, done) if ok for n in r.outputs.artifacts}
    create_dir = bool(step is not None and step.slices is not None and step.slices.create_dir)
    for name in sorted(art_names):
        parts: list[ArtifactPart] = []
        positions: list[int] = []
        for position, (r, ok) in enumerate(zip(items, done)):
            if ok and name in r.outputs.artifacts:
                for part in r.outputs.artifacts[name].parts:
                    parts.append(part)
                    positions.append(position)
        dense = positions == list(range(len(parts)))
        gathered.artifacts[name] = ArtifactRef(
            tuple(parts), gathered=True, name=name, positions=None if dense else tuple(positions), item_dirs=create_dir
        )
    if step is not None:  # declared outputs exist even when no item made them (no items, or none succeeded)
        declared = step.template.outputs
        for name in declared.parameters:
            if name not in gathered.parameters:
                gathered.parameters[name] = ParameterRecord(name, encode_value([None] * len(items)), GATHERED_TYPE)
        for name in declared.artifacts:
            if name not in gathered.artifacts:
                gathered.artifacts[name] = ArtifactRef((), gathered=True, name=name, item_dirs=create_dir)
    return gathered
