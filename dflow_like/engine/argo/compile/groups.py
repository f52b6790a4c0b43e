"""``Slices(group_size=G)`` on Argo: one pod runs G items, one after another.

As dflow compiles it (``Step.__init__`` in dflow/step.py, the branch on
``self.template.slices.group_size``): the loop runs over groups instead of items, and
each pod's slice index names its group's items (dflow rewrites ``slices`` into
``[... for i in range({{item}}*G, min(({{item}}+1)*G, dflow_nslices))]`` and loops over
``argo_range(ceil(nslices/G))``; with an explicit ``with_param`` the indices are
``with_param[i]``, the items' values, as without groups). Here the loop is ``sprig.untilStep(0, N, G)``: each
pod's ``{{item}}`` is its group's first index, so the count needs no arithmetic in
Argo's expressions and the manifest does not grow with N. The pod (``runner/pod.py``)
runs items ``item .. min(item+G, N)-1`` one by one through ``run_step``, as dflow's
``pool_size=1`` does (``render_script`` in dflow/python/python_op_template.py: a
``try_to_execute`` per slice, outputs listed per item), and reports per output
parameter the JSON list of its succeeded items' values, with their positions in
``dflow_position``; an output artifact is one directory per pod holding a ``<position>/``
directory per item, under the loop's gather prefix (``artifacts.py``). Argo aggregates
a loop's outputs into a list of those lists (``processAggregateNodeOutputs``,
workflow/controller/operator.go); a Python OP consumer's pod flattens them and puts ``None`` where an item failed
(``dflow_gathered``, see ``gathered.py``), and records read back flatten the same
(``loop_records.py``), so the values come back in item order exactly as without groups.

What a pod of G items cannot do as G pods would is refused here, naming the step.
"""

from __future__ import annotations

from ....graph.step import Step
from ....python.template import PythonOPTemplate
from .errors import CompileError

__all__ = ["check_grouped", "group_size"]


def group_size(step: Step) -> int | None:
    """G when the step's slices run G > 1 items per pod, else None."""
    size = getattr(step.slices, "group_size", None) if step.slices is not None else None
    return size if isinstance(size, int) and size > 1 else None


def _refuse(step: Step, field: str, why: str) -> CompileError:
    return CompileError(f"{step.owner}: Slices(group_size={group_size(step)}) with {field} on Argo: {why}")


def check_grouped(step: Step) -> None:
    """Raise for what a grouped step cannot do on Argo (each reason names the field)."""
    if group_size(step) is None:
        return
    template = step.template
    if not isinstance(template, PythonOPTemplate):
        raise _refuse(step, f"a {type(template).__name__}", "only a Python OP's pod can run several items")
    if step.with_sequence is not None:
        raise _refuse(step, "with_sequence", "give the items as with_param=argo_range(...) or a sliced list")
    explicit = step.with_param is not None or step.with_items is not None
    if not explicit and not (step.slices is not None and step.slices.input_parameter):
        raise _refuse(
            step, "only sliced input artifacts", "the number of items must come from a sliced parameter or with_param"
        )
    expression = step.slices.slices if step.slices is not None else None
    if expression not in (None, "{{item}}"):
        raise _refuse(
            step, f"slices={expression!r}", "each item of a group takes element i; drop the slices expression"
        )
    for name, value in step.parameters.items():
        if isinstance(value, str) and "{{item" in value:
            raise _refuse(step, f"parameter {name!r} = {value!r}", "{{item}} would be the group's, not the item's")
    if step.key is not None:
        raise _refuse(step, f"key={step.key!r}", "a key names one pod's outputs for reuse, and a pod runs a group")
    if template.timeout:
        raise _refuse(
            step, f"timeout={template.timeout}", "Argo's pod deadline is the template's, for all items of the group"
        )
    tolerant = step.continue_on_failed or step.continue_on_num_success is not None
    tolerant = tolerant or step.continue_on_success_ratio is not None
    if tolerant and template.retry.limit > 0 and template.retry.on:
        raise _refuse(
            step,
            "retries and continue_on_*",
            "a pod whose items may fail succeeds with the others' outputs, so Argo would not retry the failed ones",
        )
