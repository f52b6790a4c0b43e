"""``dflow-like debug ID STEP``: one step of a local run, again, in the user's own process.

The step's working directory is rebuilt in a folder the user names, with the exact
inputs it received (its recorded parameter values and its input artifacts, fetched
from the store), and its OP's ``execute`` runs right here: ``breakpoint()``, ``pdb``
and IDE debuggers work, and an exception comes with its full traceback. The run and
its records are not changed; outputs land in the folder.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

from ._config import home_dir
from ._credentials import known_credentials
from .graph.collect import TemplateTable
from .graph.template import OPTemplate
from .python.template import PythonOPTemplate
from .records import StepRecord
from .runner.spec import StepSpec

__all__ = ["debug_step", "step_template"]


def _the_step(wf_id: str, step: str) -> StepRecord:
    from .workflow import Workflow

    records = [r for r in Workflow(id=wf_id).query_step(name=step) if r.type == "Pod"]
    exact = [r for r in records if r.name == step]
    if len(exact) == 1:
        return exact[0]
    if len(records) == 1:
        return records[0]
    if not records:
        raise KeyError(f"workflow {wf_id!r} has no step {step!r} that ran an OP")
    names = ", ".join(repr(r.name) for r in records[:5])
    raise KeyError(f"step {step!r} of workflow {wf_id!r} is a fan-out: name one item ({names}, ...)")


def step_template(wf_id: str, template_name: str) -> OPTemplate:
    """The template as the run received it (its pickled workflow), importing as the run did."""
    from .engine.local.payload import read_payload

    root = home_dir() / "workflows" / wf_id
    here = os.getcwd()
    try:
        payload = read_payload(root, known_credentials())
    finally:
        os.chdir(here)  # read_payload moves to the submitter's folder; the user stays where they are
    return TemplateTable(payload.entrypoint, payload.on_exit).by_name[template_name]


def _spec(rec: StepRecord, folder: Path) -> StepSpec:
    return StepSpec(
        workflow_id=rec.workflow_id, node_id=rec.id, step_name=rec.name, template=rec.template,
        attempt_dir=str(folder), parameters={n: p.raw for n, p in rec.inputs.parameters.items()},
        artifacts={n: a.to_json() for n, a in rec.inputs.artifacts.items()}, key=rec.key,
    )  # fmt: skip


def _debug_folder_of(folder: Path, rec: StepRecord) -> bool:
    try:
        return StepSpec.read(folder).node_id == rec.id
    except (OSError, ValueError, TypeError):
        return False


def again_command(wf_id: str, step: str, folder: Path) -> str:
    return f"dflow-like debug {shlex.quote(wf_id)} {shlex.quote(step)} --dir {shlex.quote(str(folder))}"


def run_in_process(rec: StepRecord, template: OPTemplate, folder: Path) -> dict[str, Any]:
    """Place the inputs in ``folder``, run the OP here (exceptions propagate), return its outputs."""
    from .runner.execute import _inputs_for_op, _outputs_of_op

    if not isinstance(template, PythonOPTemplate):
        raise RuntimeError(f"step {rec.name!r} runs a {type(template).__name__}: debug runs Python OPs only")
    spec = _spec(rec, folder)
    workdir = folder / "workdir"
    workdir.mkdir(parents=True, exist_ok=True)
    spec.write()
    parameters = folder / "inputs" / "parameters"  # each value as it travelled, one file each (as on Argo)
    parameters.mkdir(parents=True, exist_ok=True)
    for name, raw in spec.parameters.items():
        (parameters / name).write_text(raw)
    op_in = _inputs_for_op(spec, template)
    op = template.make_op()
    op.key = spec.key
    op.workflow_name = spec.workflow_id
    here = os.getcwd()
    os.chdir(workdir)
    try:
        op_out = op.execute(op_in)
    finally:
        os.chdir(here)
    return _outputs_of_op(spec, template, op_out)


def debug_step(wf_id: str, step: str, directory: str | None) -> int:
    rec = _the_step(wf_id, step)
    folder = Path(directory or f"debug-{rec.name}").resolve()
    if folder.exists() and any(folder.iterdir()):
        if not _debug_folder_of(folder, rec):
            raise RuntimeError(f"{folder} is not empty (nor an earlier debug of {rec.name!r}): name another --dir")
        shutil.rmtree(folder)  # an earlier debug of this very step: start it afresh
    template = step_template(wf_id, rec.template)
    print(f"step {rec.name!r} of {wf_id} ({rec.phase}) in {folder / 'workdir'}", file=sys.stderr)
    print(f"again: {again_command(wf_id, rec.name, folder)}", file=sys.stderr)
    outputs = run_in_process(rec, template, folder)
    print(json.dumps(outputs, indent=1))
    return 0
