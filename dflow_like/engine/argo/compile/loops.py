"""Fan-out of a step on Argo: ``withParam``/``withSequence``/``withItems`` and slices.

A ``Slices`` step with no explicit loop loops over ``argo_range(argo_len(p))`` of its
first sliced parameter, exactly as dflow does; the pod picks its own element (see
``runner/pod.py``), so the slice expression runs in one place on every engine. With
``Slices(group_size=G)`` the loop strides by G: each pod runs a group (``groups.py``).
"""

from __future__ import annotations

import json
from typing import Any

from ...._values import decode_value
from ....expr.references import whole_reference
from ....graph.step import Step
from .errors import CompileError
from .groups import check_grouped, group_size

__all__ = ["is_looped", "item_range", "loop_fields", "sliced_names"]

_KEYWORDS = {"inputs", "outputs", "parameters", "artifacts"}


def sliced_names(step: Step) -> tuple[list[str], list[str]]:
    slices = step.slices
    if slices is None:
        return [], []
    return list(slices.input_parameter or []), list(slices.input_artifact or [])


def is_looped(step: Step) -> bool:
    if step.with_param is not None or step.with_sequence is not None or step.with_items is not None:
        return True
    slices = step.slices  # asked several times per step: no lists made (sliced_names)
    return slices is not None and bool(slices.input_parameter or slices.input_artifact)


def _expression_of(ref: str) -> str:
    """``steps.a.outputs.parameters.x`` → ``steps['a'].outputs.parameters['x']``."""
    root, *rest = ref.split(".")
    return root + "".join(f".{p}" if p in _KEYWORDS else f"['{p}']" for p in rest)


def _slice_range(step: Step, name: str, stride: int = 1) -> str:
    """The loop's list: item indices, or with ``stride`` G each group's first index."""
    text = step.parameters.get(name)
    if text is None:
        raise CompileError(f"{step.owner}: sliced input parameter {name!r} is not given")
    if "{{" not in text:
        value = decode_value(text)
        if not isinstance(value, list):
            raise CompileError(f"{step.owner}: sliced input parameter {name!r} must be a list, got {text[:60]!r}")
        # the count, not the list of indices: the manifest does not grow with the items
        return f"{{{{=toJson(sprig.untilStep(0, {len(value)}, {stride}))}}}}"
    path = whole_reference(text)
    if path is None:
        raise CompileError(
            f"{step.owner}: sliced input parameter {name!r} is {text[:60]!r}; on Argo slice a "
            "plain reference or a literal list, or give with_param=argo_range(...)"
        )
    expr = _expression_of(".".join(path))
    return f"{{{{=toJson(sprig.untilStep(0, len(sprig.fromJson({expr})), {stride}))}}}}"


def _list_expression(step: Step, text: str) -> str:
    """An Argo expression whose value is the JSON list ``text`` (a ``with_param``) stands for."""
    inner = text.strip()
    if inner.startswith("{{=") and inner.endswith("}}") and inner.count("{{") == 1:
        return f"sprig.fromJson({inner[3:-2].strip()})"
    path = whole_reference(inner)
    if path is not None:
        return f"sprig.fromJson({_expression_of('.'.join(path))})"
    if "{{" not in inner and isinstance(decode_value(inner), list):
        literal = json.dumps(decode_value(inner), separators=(",", ":")).replace("\\", "\\\\").replace("'", "\\'")
        return f"sprig.fromJson('{literal}')"
    raise CompileError(
        f"{step.owner}: with_param={text[:60]!r} with Slices(group_size=...) on Argo: give a plain "
        "reference, an expression ({{=...}}) or a JSON list, whose length Argo can take"
    )


def item_range(step: Step) -> str:
    """A grouped step's items, one per item (its loop has one per group): what consumers count
    and what its pods run (``dflow_sliced``'s ``items``)."""
    if step.with_param is not None:
        return str(step.with_param)
    if step.with_items is not None:
        return json.dumps(list(step.with_items), separators=(",", ":"))
    return _slice_range(step, sliced_names(step)[0][0])


def _group_starts(step: Step, size: int) -> str:
    """The first item of each group of ``size``: a loop of ceil(N/size) pods."""
    if step.with_param is not None:
        items = _list_expression(step, str(step.with_param))
        return f"{{{{=toJson(sprig.untilStep(0, len({items}), {size}))}}}}"
    if step.with_items is not None:
        return f"{{{{=toJson(sprig.untilStep(0, {len(list(step.with_items))}, {size}))}}}}"
    return _slice_range(step, sliced_names(step)[0][0], size)


def _sequence(step: Step) -> dict[str, Any]:
    seq = step.with_sequence
    data = seq.to_dict() if hasattr(seq, "to_dict") else dict(seq)
    return {k: str(v) for k, v in data.items() if v is not None}


def loop_fields(step: Step) -> dict[str, Any]:
    """The loop keys of a step or task (empty when it does not fan out)."""
    check_grouped(step)
    size = group_size(step)
    if size:
        return {"withParam": _group_starts(step, size)}
    if step.with_param is not None:
        return {"withParam": step.with_param}
    if step.with_sequence is not None:
        return {"withSequence": _sequence(step)}
    if step.with_items is not None:
        return {"withItems": list(step.with_items)}
    params, arts = sliced_names(step)
    if params:
        return {"withParam": _slice_range(step, params[0])}
    if arts:
        raise CompileError(
            f"{step.owner}: slices over input artifacts need with_param= or with_sequence= on "
            "Argo (the number of items is not known before the run)"
        )
    return {}
