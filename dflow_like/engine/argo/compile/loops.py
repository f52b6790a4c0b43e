"""Fan-out of a step on Argo: ``withParam``/``withSequence``/``withItems`` and slices.

A ``Slices`` step with no explicit loop loops over ``argo_range(argo_len(p))`` of its
first sliced parameter, exactly as dflow does; the pod picks its own element (see
``runner/pod.py``), so the slice expression runs in one place on every engine.
"""

from __future__ import annotations

from typing import Any

from ....expr.references import whole_reference
from ....graph.step import Step
from ....values import decode_value
from .errors import CompileError

__all__ = ["is_looped", "loop_fields", "sliced_names"]

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


def _slice_range(step: Step, name: str) -> str:
    text = step.parameters.get(name)
    if text is None:
        raise CompileError(f"{step.owner}: sliced input parameter {name!r} is not given")
    if "{{" not in text:
        value = decode_value(text)
        if not isinstance(value, list):
            raise CompileError(f"{step.owner}: sliced input parameter {name!r} must be a list, got {text[:60]!r}")
        # the count, not the list of indices: the manifest does not grow with the items
        return f"{{{{=toJson(sprig.untilStep(0, {len(value)}, 1))}}}}"
    path = whole_reference(text)
    if path is None:
        raise CompileError(
            f"{step.owner}: sliced input parameter {name!r} is {text[:60]!r}; on Argo slice a "
            "plain reference or a literal list, or give with_param=argo_range(...)"
        )
    expr = _expression_of(".".join(path))
    return f"{{{{=toJson(sprig.untilStep(0, len(sprig.fromJson({expr})), 1))}}}}"


def _sequence(step: Step) -> dict[str, Any]:
    seq = step.with_sequence
    data = seq.to_dict() if hasattr(seq, "to_dict") else dict(seq)
    return {k: str(v) for k, v in data.items() if v is not None}


def loop_fields(step: Step) -> dict[str, Any]:
    """The loop keys of a step or task (empty when it does not fan out)."""
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
