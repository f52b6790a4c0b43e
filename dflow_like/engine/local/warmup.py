"""Prepare a worker so that the children it forks write to as few pages as possible.

A forked child pays a copy-on-write fault (several microseconds on a VM) for every
page it writes, and CPython writes to code objects it runs for the first few times
(3.11+ counts calls, then specialises the bytecode in place). A worker that has run
the runner's own code path a few times hands every child code that is already
specialised, which saves the child ~100 faults and ~1 ms of CPU per step. The warm-up
runs a built-in no-op OP in a temporary directory, never the user's code.

Modules a step would otherwise import on first use (typeguard for signature types
beyond the builtin ones, jsonpickle for values that are not plain JSON) are loaded
here once rather than in every child, and only when the workflow needs them: each
costs megabytes that every ``fork()`` then copies page tables for.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import tempfile
from collections.abc import Iterable
from typing import Any, TypedDict

from ...graph.template import OPTemplate
from ...python.checks import needs_typeguard
from ...python.template import PythonOPTemplate
from ...runner.execute import run_step
from ...runner.spec import StepSpec

__all__ = ["load_jsonpickle", "preload_for", "warm_runner"]

ROUNDS = 10  # CPython 3.11 specialises a code object after 8 calls


def preload_for(templates: Iterable[OPTemplate]) -> None:
    """Import typeguard if some template's signature needs it to check a value."""
    for template in templates:
        if isinstance(template, PythonOPTemplate):
            op = template.op_class
            try:
                needed = needs_typeguard(op.get_input_sign(), op.get_output_sign())
            except Exception:  # a broken sign fails its step, with a message, not the worker
                needed = True
            if needed:
                importlib.import_module("typeguard")
                return


def load_jsonpickle() -> None:
    """Import what ``dflow_like._values`` uses of jsonpickle (once a value needed it)."""
    importlib.import_module("jsonpickle.pickler")
    importlib.import_module("jsonpickle.unpickler")


class _WarmOut(TypedDict):
    y: int
    names: list[str]


def _noop_template() -> PythonOPTemplate:
    from ...python import OP

    @OP.function
    def warm_up(x: int, name: str) -> _WarmOut:
        return {"y": x, "names": [name]}

    return PythonOPTemplate(warm_up)


def warm_runner(rounds: int = ROUNDS) -> None:
    """Run a no-op step ``rounds`` times in this process, then restore its cwd."""
    template = _noop_template()
    cwd = os.getcwd()
    sink: Any = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="dflow-like-warm-") as scratch:
        try:
            for i in range(rounds):
                attempt = os.path.join(scratch, str(i))
                spec = StepSpec("warm", f"warm-{i}", "warm", template.name, attempt, {"x": str(i), "name": "w"})
                with contextlib.redirect_stderr(sink):  # a failure here is only a slower start
                    StepSpec.from_json(spec.to_json())
                    run_step(spec, template)
        finally:
            os.chdir(cwd)
