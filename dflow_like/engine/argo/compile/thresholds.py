"""``continue_on_num_success`` / ``continue_on_success_ratio`` on Argo: a check after the loop.

Argo has no success threshold, so (as dflow compiles it) the looped step continues
when items fail, and a small check step right after it fails the run when too few
items succeeded. Every Python OP pod writes the output ``dflow_success`` = ``1``
only when its step succeeded (the output's default is ``0``; a pod running a group of
items, ``groups.py``, writes how many of them succeeded), and Argo aggregates a
looped step's output parameter into a JSON list, so the check adds them up. The
number of items comes from the loop itself (its list or sequence), not from that
aggregate, which may leave out items that produced no outputs at all. The rules are
dflow's (``CheckNumSuccess``/``CheckSuccessRatio`` in ``src/dflow/util_ops.py``:
``succ >= threshold``, ``succ >= threshold * total``), so a loop over no items meets a
ratio, as it does on the local engine.
"""

from __future__ import annotations

import json
from typing import Any

from ....graph.step import Step
from ....python.template import PythonOPTemplate
from .errors import CompileError
from .gathered import fallback
from .groups import group_size
from .loops import is_looped, item_range
from .options import CompileOptions

__all__ = ["CHECK_TEMPLATE", "SUCCESS_OUTPUT", "check_call", "check_template", "threshold_of"]

CHECK_TEMPLATE = "dflow-check-success"
SUCCESS_OUTPUT = "dflow_success"

_CHECK_SOURCE = """\
import json, os, sys

def number(name):
    text = os.environ[name].strip()
    return int(float(text)) if text else None

raw = os.environ["SUCCESS"].strip()
ok = sum(int(str(tag)) for tag in json.loads(raw) if str(tag).isdigit()) if raw.startswith("[") else 0
if os.environ["ITEMS"].strip():
    total = len(json.loads(os.environ["ITEMS"]))
elif number("COUNT") is not None:
    total = number("COUNT")
else:
    start, end = number("START") or 0, number("END") or 0
    total = abs(end - start) + 1
threshold, kind = float(os.environ["THRESHOLD"]), os.environ["KIND"]
met = ok >= threshold if kind == "continue_on_num_success" else ok >= threshold * total
print(f"{os.environ['STEP']}: {ok} of {total} items succeeded; {kind}={os.environ['THRESHOLD']} is "
      + ("met" if met else "not met"))
sys.exit(0 if met else 1)
"""

_INPUTS = ("step", "success", "threshold", "kind", "items", "count", "start", "end")


def threshold_of(step: Step) -> tuple[str, float] | None:
    """(field, value) of the step's success threshold, or None when it has none."""
    for field in ("continue_on_num_success", "continue_on_success_ratio"):
        value = getattr(step, field)
        if value is not None:
            if not isinstance(step.template, PythonOPTemplate):
                raise CompileError(
                    f"{step.owner}: {field} on Argo needs a Python OP step (its pods report their "
                    f"success); this step runs a {type(step.template).__name__}"
                )
            return field, float(value)
    return None


def _loop_arguments(loop: dict[str, Any]) -> dict[str, str]:
    if "withParam" in loop:
        return {"items": str(loop["withParam"])}
    if "withItems" in loop:
        return {"items": json.dumps(loop["withItems"])}
    seq = loop.get("withSequence", {})
    return {"count": str(seq.get("count", "")), "start": str(seq.get("start", "")), "end": str(seq.get("end", ""))}


def check_call(step: Step, node: dict[str, Any], scope: str, threshold: tuple[str, float]) -> dict[str, Any]:
    """The check that runs right after looped ``step`` (compiled as ``node``); ``scope``: steps or tasks."""
    field, value = threshold
    if not is_looped(step):
        raise CompileError(f"{step.owner}: {field} needs a looped step (Slices, with_param or with_sequence)")
    args = {
        "step": step.name,
        # no items, or none succeeded: Argo sets no aggregate (see gathered.py)
        "success": fallback(scope, step.name, SUCCESS_OUTPUT),
        "threshold": f"{value:g}",
        "kind": field,
        "items": "",
        "count": "",
        "start": "",
        "end": "",
    }
    args.update({"items": item_range(step)} if group_size(step) else _loop_arguments(node))  # items, not groups
    check: dict[str, Any] = {
        "name": f"{step.name}-check-success",
        "template": CHECK_TEMPLATE,
        "arguments": {"parameters": [{"name": k, "value": v} for k, v in args.items()]},
    }
    if "when" in node:
        check["when"] = node["when"]
    return check


def check_template(opts: CompileOptions) -> dict[str, Any]:
    """The one script template every check step calls."""
    script: dict[str, Any] = {
        "image": opts.image,
        "command": ["python3"],
        "source": _CHECK_SOURCE,
        "env": [{"name": name.upper(), "value": f"{{{{inputs.parameters.{name}}}}}"} for name in _INPUTS],
    }
    if opts.image_pull_policy:
        script["imagePullPolicy"] = opts.image_pull_policy
    return {
        "name": CHECK_TEMPLATE,
        "inputs": {"parameters": [{"name": name} for name in _INPUTS]},
        "script": script,
    }
