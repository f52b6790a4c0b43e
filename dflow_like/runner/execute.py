"""Run one step: inputs in, ``execute`` (or the script), outputs out, an exit code back.

The same function runs in a forked local worker, in ``python -m dflow_like.runner``
inside a Slurm job, and in an Argo pod. It never raises: every outcome is an exit
code (``codes``), a traceback in the log, and a one-line ``error.txt``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from .._values import decode_for_sign, encode_value
from ..artifacts import ArtifactPart, ArtifactRef, StoredTree
from ..graph.script_templates import ScriptOPTemplate
from ..graph.template import OPTemplate
from ..python.errors import FatalError, TransientError
from ..python.opio import OPIO, Artifact, field_kind
from ..python.template import PythonOPTemplate
from . import codes
from .files import collect_output, input_value, materialize, place_tree
from .limits import memory_hook
from .spec import PROGRESS_FILE, StepSpec

__all__ = ["run_step"]


def _store_output(spec: StepSpec, name: str, out_dir: Path, layout: Any, archive: str | None) -> ArtifactRef:
    if spec.store == "s3":
        from ..storage import get_storage_client, put_tree

        key = f"{spec.store_prefix}/{name}"
        tree = put_tree(get_storage_client(), str(out_dir), key, archive="tar" if archive else None)
    else:
        tree = StoredTree("local", str(out_dir))
    return ArtifactRef((ArtifactPart(tree, layout),), name=name)


def _inputs_for_op(spec: StepSpec, template: PythonOPTemplate) -> OPIO:
    op_in = OPIO()
    sign = template.op_class.get_input_sign()
    for name, raw in spec.parameters.items():
        kind = field_kind(sign[name]) if name in sign else None
        declared = getattr(kind, "type", None)
        op_in[name] = decode_for_sign(raw, declared)
    for name, data in spec.artifacts.items():
        if data is None:
            continue
        ref = ArtifactRef.from_json(data)
        dest = Path(spec.attempt_dir, "inputs", "artifacts", name)
        placed = materialize(ref, dest)
        kind = field_kind(sign[name]) if name in sign else Artifact(Path)
        op_in[name] = input_value(placed, getattr(kind, "type", Path), ref.gathered, dest)
    return op_in


def _outputs_of_op(spec: StepSpec, template: PythonOPTemplate, op_out: Any) -> dict[str, Any]:
    sign = template.op_class.get_output_sign()
    owner = f"OP {template.op_class.__name__}"
    params: dict[str, str] = {}
    arts: dict[str, Any] = {}
    for name, value in dict(op_out).items():
        kind = field_kind(sign[name]) if name in sign else None
        if isinstance(kind, Artifact):
            if value is None:
                continue
            out_dir, layout = collect_output(value, name, Path(spec.attempt_dir), owner)
            archive = template.outputs.artifacts[name].archive if name in template.outputs.artifacts else "tar"
            arts[name] = _store_output(spec, name, out_dir, layout, archive).to_json()
        else:
            params[name] = encode_value(value)
    return {"parameters": params, "artifacts": arts}


def _run_python(spec: StepSpec, template: PythonOPTemplate) -> dict[str, Any]:
    op_in = _inputs_for_op(spec, template)
    op = template.make_op()
    op.key = spec.key
    op.workflow_name = spec.workflow_id
    # Argo's executor reads ARGO_PROGRESS_FILE; elsewhere the engine reads it from the attempt dir.
    op._progress_path = os.environ.get("ARGO_PROGRESS_FILE") or os.path.join(spec.attempt_dir, PROGRESS_FILE)
    if (op.progress_current, op.progress_total) != (0, 1):  # an OP's own start, e.g. progress_total = 100
        op.progress_total = op.progress_total  # reports it (dflow compiles it as the initial progress)
    os.chdir(os.path.join(spec.attempt_dir, "workdir"))
    op_out = op.execute(op_in)
    return _outputs_of_op(spec, template, op_out)


def _rerooted(path: str, workdir: Path) -> Path:
    """A declared script path, moved inside the step's workdir (absolute paths too)."""
    return workdir / path.lstrip("/")


def _replace_paths(script: str, moved: dict[str, str]) -> str:
    """Replace every declared absolute path in one pass (longest first), so a path declared
    twice (an output parameter and artifact read from one file) or inside another's new
    location is never replaced again."""
    if not moved:
        return script
    import re

    pattern = re.compile("|".join(re.escape(p) for p in sorted(moved, key=len, reverse=True)))
    return pattern.sub(lambda m: moved[m.group(0)], script)


def _run_script(spec: StepSpec, template: ScriptOPTemplate) -> dict[str, Any]:
    from ..expr import render

    workdir = spec.workdir
    inputs_dir = Path(spec.attempt_dir) / "inputs" / "artifacts"
    art_paths: dict[str, dict[str, str]] = {}
    moved: dict[str, str] = {}  # declared absolute path → where it is in the workdir
    script = spec.script
    for name, data in spec.artifacts.items():
        declared = template.inputs.artifacts[name].path or f"inputs/{name}"
        target = _rerooted(declared, workdir)
        if data is not None and "pvc" in data:  # a claim: the path, even before the writer has filled it
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.is_symlink():
                target.symlink_to(data["pvc"])
        elif data is not None:
            placed = materialize(ArtifactRef.from_json(data), inputs_dir / name)
            value = input_value(placed, Path, False, inputs_dir / name)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                target.symlink_to(value)
        art_paths[name] = {"path": str(target)}
        if declared.startswith("/"):
            moved[declared] = str(target)
    outputs = template.outputs
    for out in list(outputs.parameters.values()) + list(outputs.artifacts.values()):
        declared = getattr(out, "value_from_path", None) or getattr(out, "path", None)
        if declared and declared.startswith("/"):
            _rerooted(declared, workdir).parent.mkdir(parents=True, exist_ok=True)
            moved[declared] = str(_rerooted(declared, workdir))
    script = _replace_paths(script, moved)
    scope = {"inputs": {"parameters": dict(spec.parameters), "artifacts": art_paths}}
    script = render(script, scope)
    script_file = Path(spec.attempt_dir) / "script"
    script_file.write_text(script)
    env = {**os.environ, **spec.envs}
    sys.stdout.flush()
    sys.stderr.flush()
    cap = memory_hook(spec.extra)  # limits['memory'], applied in the command's process
    proc = subprocess.run([*spec.command, str(script_file)], cwd=workdir, env=env, check=False, preexec_fn=cap)
    if proc.returncode != 0:
        raise _ScriptFailed(proc.returncode)
    for name, claims in spec.extra.get("pvc_outputs", {}).items():
        _save_to_claims(_rerooted(outputs.artifacts[name].path or "", workdir), claims)
    params: dict[str, str] = {}
    arts: dict[str, Any] = {}
    for name, par in outputs.parameters.items():
        if par.value_from_path:
            text = _rerooted(par.value_from_path, workdir).read_text()
            params[name] = text[:-1] if text.endswith("\n") else text
        elif par.has_value:
            params[name] = encode_value(par.value)
    for name, art in outputs.artifacts.items():
        if not art.path:
            continue
        source = _rerooted(art.path, workdir)
        if not source.exists():
            if art.optional:
                continue
            raise FileNotFoundError(f"script {template.name!r}: output artifact {name!r}: {art.path} was not written")
        out_dir, layout = _script_output(source, name, Path(spec.attempt_dir))
        arts[name] = _store_output(spec, name, out_dir, layout, art.archive).to_json()
    return {"parameters": params, "artifacts": arts}


def _script_output(source: Path, name: str, attempt_dir: Path) -> tuple[Path, Any]:
    """A script's output artifact as Argo stores a declared path: a file under its base name,
    a directory as its contents. So ``download_artifact`` puts ``/tmp/bar.txt`` at
    ``path/bar.txt`` and a directory's files straight under ``path`` (dflow's download merges
    the single top directory of Argo's archive into ``path``), and a script step reading it
    finds it at its own declared path."""
    out_dir = attempt_dir / "outputs" / "artifacts" / name
    if source.is_dir():
        place_tree(source, out_dir)
        return out_dir, None
    place_tree(source, out_dir / source.name)
    return out_dir, source.name


def _save_to_claims(source: Path, claims: list[str]) -> None:
    """Copy an output into its claims once the script has succeeded (dflow appends ``cp -r`` to
    the script); each copy is renamed into place, so a reader polling for it never sees half."""
    import shutil

    if not source.exists():
        return
    for claim in claims:
        target = Path(claim)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        if source.is_dir():
            shutil.copytree(source, partial, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(source, partial)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        os.replace(partial, target)


class _ScriptFailed(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(f"script exited with code {code}")
        self.code = code


def _classify(exc: BaseException) -> int:
    if isinstance(exc, FatalError):
        return codes.FATAL
    if isinstance(exc, TransientError) or getattr(exc, "transient", False):
        return codes.TRANSIENT
    return codes.FAILED


def run_step(spec: StepSpec, template: OPTemplate) -> int:
    """Run ``spec`` with ``template``; write ``outputs.json`` on success, ``error.txt`` on failure.

    Plain ``os.path`` strings, not ``pathlib``, on this path: in a freshly forked child
    every object touched costs a page copy, and a step has a few hundred at most.
    """
    try:
        workdir = os.path.join(spec.attempt_dir, "workdir")
        if not os.path.isdir(workdir):
            os.makedirs(workdir)
        if isinstance(template, PythonOPTemplate):
            result = _run_python(spec, template)
        elif isinstance(template, ScriptOPTemplate):
            result = _run_script(spec, template)
        else:
            raise TypeError(f"the runner cannot run a {type(template).__name__} template")
    except BaseException as exc:  # the runner reports every failure as an exit code
        if isinstance(exc, KeyboardInterrupt):  # said, then passed on: Ctrl-C still stops ``debug``
            _write(os.path.join(spec.attempt_dir, "error.txt"), f"KeyboardInterrupt: {exc}".rstrip(": "))
            raise
        traceback.print_exception(type(exc), exc, _from_user_code(exc.__traceback__))
        _write(os.path.join(spec.attempt_dir, "error.txt"), f"{type(exc).__name__}: {exc}")
        return _classify(exc)
    _write(os.path.join(spec.attempt_dir, "outputs.json"), json.dumps(result, separators=(",", ":")))
    return codes.SUCCEEDED


_MACHINERY = (
    os.path.dirname(os.path.abspath(__file__)) + os.sep,  # this runner
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python", "op.py"),  # exec_sign_check
)


def _from_user_code(tb: TracebackType | None) -> TracebackType | None:
    """The traceback from the first frame that is not the runner's (the user's ``execute``),
    as ``python script.py`` would show it; whole when the error never reached user code."""
    start = tb
    while start is not None and start.tb_frame.f_code.co_filename.startswith(_MACHINERY):
        start = start.tb_next
    return start if start is not None else tb


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
