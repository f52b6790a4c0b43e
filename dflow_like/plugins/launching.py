"""A command line for one OP or template: dflow's ``dflow.plugins.launching``.

dflow (``src/dflow/plugins/launching.py``) turns an OP or an ``OPTemplate`` into a
program through dp-launching-sdk's ``to_runner`` (a pydantic-cli parser)::

    to_parser = OP_to_parser(Duplicate)
    to_parser()(sys.argv[1:])           # python prog.py --foo in.txt --num 3

What the command line is, as there: no sub-commands; ``--<name> VALUE`` for each input
of the signature (``get_input_sign()`` of a Python OP, ``inputs`` of a template), an
artifact given as a path, a parameter as text converted to its declared type (a list
as several words, a bool as ``--enable-<name>``/``--disable-<name>``); ``--output_dir``
(default ``./outputs``); ``--json-config FILE`` for values from a JSON object (the
command line wins); ``--version``; ``-h``/``--help`` lists the inputs and returns 0.

What running it does, as there: a Python OP's ``execute`` runs here, in the current
directory, and its outputs are written to ``outputs/parameters/<name>`` (the value's
text, JSON for non-strings) and ``outputs/artifacts/<name>/`` (the files it returned,
at their paths relative to the current directory); a template (``PythonOPTemplate``,
``Steps``, ``DAG``, script) is submitted as the one step (``dflow-main``) of a workflow,
waited for, and its outputs written to ``outputs/parameters/<name>`` and
``outputs/artifact/<name>/`` (dflow's singular ``artifact`` there). It prints what it
wrote (and the run's id), then the process exits with 0, or 1 when the OP or the
workflow failed.

Where this differs: bad input exits with 2 and one line per field naming the field,
what it expects and what it was given (dflow prints a pydantic ``ValidationError``, or
for a missing file runs the OP with ``None``); ``--output_dir`` is honoured (dflow
writes to ``./outputs`` whatever it says); ``--gen-schema`` and ``--start-api-server``
(the Launching platform's) are not here.
"""

from __future__ import annotations

import argparse
import difflib
import inspect
import json
import os
import shutil
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from .._values import encode_value
from ..graph.template import OPTemplate
from ..python.op import OP
from ..python.opio import OPIO, Artifact, BigParameter, field_kind
from ._launch_inputs import (
    MISSING,
    RESERVED,
    BadInput,
    Input,
    artifact_for_op,
    artifact_path,
    op_inputs,
    parameter_value,
    template_inputs,
)

__all__ = ["OP_template_to_parser", "OP_to_parser", "python_OP_to_parser"]


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so every refusal reads the same."""

    def error(self, message: str) -> NoReturn:
        raise BadInput(message)


def _help_of(field: Input) -> str:
    about = f"{field.description} " if field.description else ""
    if field.artifact:
        need = "optional" if field.optional else "required"
        return f"{about}(artifact: {field.expects()}; {need})"
    need = "required" if field.required else f"default: {field.default!r}"
    words = "; one or more values, or a JSON list" if field.is_many else ""
    return f"{about}(parameter: {field.expects()}{words}; {need})"


def _add_field(group: Any, field: Input) -> None:
    metavar = field.name.upper()
    if field.is_bool and field.default in (True, False):
        # pydantic-cli's flag for a bool with a default: it negates the default
        flag = f"--disable-{field.name}" if field.default else f"--enable-{field.name}"
        group.add_argument(flag, dest=field.name, action="store_const", const=not field.default, help=_help_of(field))
    elif field.is_bool:
        group.add_argument(
            f"--enable-{field.name}", dest=field.name, action="store_const", const=True, help=_help_of(field)
        )
        group.add_argument(f"--disable-{field.name}", dest=field.name, action="store_const", const=False)
    elif field.is_many:
        group.add_argument(f"--{field.name}", dest=field.name, nargs="+", metavar=metavar, help=_help_of(field))
    else:
        group.add_argument(f"--{field.name}", dest=field.name, metavar=metavar, help=_help_of(field))


def _usage(prog: str, fields: list[Input]) -> str:
    words = [prog, "[--output_dir OUTPUT_DIR]"]
    for field in fields:
        if field.is_bool and field.default not in (True, False):
            words.append(f"--enable-{field.name}|--disable-{field.name}")
            continue
        if field.is_bool:
            word = f"--{'disable' if field.default else 'enable'}-{field.name}"
        else:
            word = f"--{field.name} {field.name.upper()}" + (" ..." if field.is_many else "")
        words.append(word if field.required else f"[{word}]")
    words += ["[--json-config FILE]", "[--version]", "[-h]"]
    return " ".join(words)


class Launcher:
    """The program ``OP_to_parser(...)()`` returns: call it with the arguments.

    dp-launching's ``to_runner`` as dflow uses it: ``--help`` prints and returns 0, and a
    run ends the process (``SystemExit``) with 0, 1 (the OP or workflow failed) or 2 (bad
    input).
    """

    def __init__(
        self, title: str, fields: list[Input], run: Callable[[dict[str, Any], Path], int], version: str
    ) -> None:
        clash = sorted({f.name for f in fields} & RESERVED)
        if clash:
            raise ValueError(f"OP_to_parser: input {clash[0]!r} has the name of one of the program's own options")
        self.title = title
        self.fields = fields
        self.run = run
        self.version = version

    def parser(self) -> argparse.ArgumentParser:
        prog = os.path.basename(sys.argv[0]) or "program"
        parser = _Parser(prog=prog, usage=_usage(prog, self.fields), description=self.title, add_help=False)
        group = parser.add_argument_group("inputs")
        for field in self.fields:
            _add_field(group, field)
        options = parser.add_argument_group("options")
        options.add_argument("--output_dir", metavar="OUTPUT_DIR", help="output dir (default: ./outputs)")
        options.add_argument(
            "--json-config", metavar="FILE", help="a JSON object of input values (the command line overrides them)"
        )
        options.add_argument("--version", action="store_true", help="print the version and exit")
        options.add_argument("-h", "--help", action="store_true", help="print this help and exit")
        parser.set_defaults(**{f.name: MISSING for f in self.fields})
        return parser

    def __call__(self, args: Sequence[str]) -> int:
        parser = self.parser()
        try:
            opts = vars(parser.parse_args(list(args)))
            if opts["help"]:
                parser.print_help()
                return 0
            if opts["version"]:
                print(self.version)
                return 0
            values, output_dir = self._values(opts)
        except BadInput as exc:
            parser.print_usage(sys.stderr)
            print(f"{parser.prog}: error: {self._hint(str(exc), args)}", file=sys.stderr)
            raise SystemExit(2) from None
        raise SystemExit(self.run(values, output_dir))

    def _hint(self, message: str, args: Sequence[str]) -> str:
        if not message.startswith("unrecognized arguments"):
            return message
        known = [f"--{f.name}" for f in self.fields] + ["--output_dir", "--json-config"]
        for word in args:
            if word.startswith("-") and word.split("=")[0] not in known:
                close = difflib.get_close_matches(word.split("=")[0], known, n=1)
                if close:
                    return f"{message} (did you mean {close[0]}?)"
        return message

    def _values(self, opts: dict[str, Any]) -> tuple[dict[str, Any], Path]:
        config: dict[str, Any] = {}
        if opts["json_config"] is not None:
            config = _load_config(opts["json_config"])
            unknown = sorted(set(config) - {f.name for f in self.fields} - {"output_dir"})
            if unknown:
                raise BadInput(f"--json-config {opts['json_config']}: no input named {', '.join(unknown)}")
        errors, values = [], {}
        for field in self.fields:
            from_cli = opts[field.name] is not MISSING
            raw = opts[field.name] if from_cli else config.get(field.name, MISSING)
            try:
                if raw is MISSING:
                    if field.required:
                        raise BadInput(f"{field.label()}: required, expected {field.expects()}, given nothing")
                    values[field.name] = None if field.artifact else field.default
                elif field.artifact:
                    values[field.name] = artifact_path(field, raw)
                elif field.is_bool and from_cli:
                    values[field.name] = raw
                else:
                    values[field.name] = parameter_value(field, raw, from_cli)
            except BadInput as exc:
                errors.append(str(exc))
        if len(errors) == 1:
            raise BadInput(errors[0])
        if errors:
            raise BadInput(f"{len(errors)} inputs are wrong:\n  " + "\n  ".join(errors))
        output_dir = opts["output_dir"] or config.get("output_dir") or "./outputs"
        return values, Path(str(output_dir))


def _load_config(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise BadInput(f"--json-config: expected a readable JSON file, given {path!r} ({exc.strerror})") from None
    except ValueError as exc:
        raise BadInput(f"--json-config: expected a JSON object, given {path!r}, which is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadInput(f"--json-config: expected a JSON object, given {path!r} holding a {type(data).__name__}")
    return data


# --- running -----------------------------------------------------------------------------


def _copy_into(value: Any, target_root: Path, cwd: Path) -> list[Path]:
    """Copy the files an OP returned (a path, or a list/dict of them) under ``target_root``,
    each at its path relative to ``cwd`` (its name if outside), as dflow's ``copy_results``."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [p for v in value.values() for p in _copy_into(v, target_root, cwd)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [p for v in value for p in _copy_into(v, target_root, cwd)]
    source = Path(value).absolute()
    try:
        rel = source.relative_to(cwd)
    except ValueError:
        rel = Path(source.name)
    target = target_root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)
    return [target]


def _parameter_text(value: Any, big: bool) -> str:
    """The text dflow's ``handle_output_parameter`` writes: a string as is, else JSON
    (jsonpickle); a ``BigParameter`` always as JSON."""
    if big and isinstance(value, str):
        return json.dumps(value)
    return encode_value(value)


def _show(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def python_OP_to_parser(op: OP, version: str = "1.0.0") -> Callable[[], Launcher]:
    """dflow's ``python_OP_to_parser`` (``plugins/launching.py``): a command line that runs
    ``op.execute`` here, in the current directory, and writes its outputs under
    ``--output_dir``: ``parameters/<name>`` and ``artifacts/<name>/``."""
    name = type(op).__name__
    fields = op_inputs(op)
    kinds = {f.name: f for f in fields}

    def run(values: dict[str, Any], output_dir: Path) -> int:
        op_in = OPIO()
        for key, value in values.items():
            field = kinds[key]
            op_in[key] = artifact_for_op(value, field.type) if field.artifact and value is not None else value
        try:
            op_out = op.execute(op_in)
        except Exception:
            traceback.print_exc()
            print(f"error: OP {name} failed (see the traceback above)", file=sys.stderr)
            return 1
        cwd = Path.cwd().absolute()
        written = []
        (output_dir / "parameters").mkdir(parents=True, exist_ok=True)
        (output_dir / "artifacts").mkdir(parents=True, exist_ok=True)
        for key, raw_spec in op.get_output_sign().items():
            spec = field_kind(raw_spec)
            value = op_out.get(key)
            if isinstance(spec, Artifact):
                target = output_dir / "artifacts" / key
                if target.is_dir():
                    shutil.rmtree(target)
                target.mkdir(parents=True)
                written += _copy_into(value, target.absolute(), cwd)
            else:
                path = output_dir / "parameters" / key
                path.write_text(_parameter_text(value, isinstance(spec, BigParameter)), encoding="utf-8")
                written.append(path)
        if written:
            print(f"OP {name} wrote " + ", ".join(_show(p) for p in written))
        return 0

    return lambda: Launcher(f"Runs the OP {name} here (its inputs below).", fields, run, version)


def OP_template_to_parser(templ: OPTemplate, version: str = "1.0.0") -> Callable[[], Launcher]:
    """dflow's ``OP_template_to_parser`` (``plugins/launching.py``): a command line that
    submits a workflow of one step ``dflow-main`` running ``templ`` (input files uploaded),
    waits for it, and writes the step's outputs under ``--output_dir``:
    ``parameters/<name>`` (the value's text) and ``artifact/<name>/`` (downloaded)."""
    from .. import Step, Workflow, download_artifact, upload_artifact

    fields = template_inputs(templ)
    kinds = {f.name: f for f in fields}

    def run(values: dict[str, Any], output_dir: Path) -> int:
        parameters = {k: v for k, v in values.items() if not kinds[k].artifact}
        artifacts = {k: upload_artifact(v) for k, v in values.items() if kinds[k].artifact and v is not None}
        step = Step("dflow-main", templ, parameters=parameters, artifacts=artifacts)
        wf = Workflow(name=templ.name)
        wf.add(step)
        wf.submit()
        phase = wf.wait()
        if phase != "Succeeded":
            print(f"error: workflow {wf.id} {phase}: {wf.query_message()}", file=sys.stderr)
            return 1
        record = wf.query_step(name="dflow-main")[0]
        written = []
        if record.outputs.parameters:
            (output_dir / "parameters").mkdir(parents=True, exist_ok=True)
        for key, par in record.outputs.parameters.items():
            path = output_dir / "parameters" / key
            path.write_text(par.raw, encoding="utf-8")
            written.append(path)
        for key, art in record.outputs.artifacts.items():
            target = output_dir / "artifact" / key
            download_artifact(art, path=target)
            written.append(target)
        shown = (", wrote " + ", ".join(_show(p) for p in written)) if written else ""
        print(f"workflow {wf.id} Succeeded{shown}")
        return 0

    title = f"Submits a workflow running the template {templ.name} (its inputs below) and waits for it."
    return lambda: Launcher(title, fields, run, version)


def OP_to_parser(op: type[OP] | OP | OPTemplate, version: str = "1.0.0") -> Callable[[], Launcher]:
    """dflow's ``OP_to_parser`` (``plugins/launching.py``): an OP class (made with no
    arguments) or object runs here; a template is submitted as a workflow."""
    if inspect.isclass(op) and issubclass(op, OP):
        return python_OP_to_parser(op(), version)
    if isinstance(op, OP):
        return python_OP_to_parser(op, version)
    if isinstance(op, OPTemplate):
        return OP_template_to_parser(op, version)
    raise ValueError(f"OP_to_parser: expected a Python OP (class or object) or an OP template, given {op!r:.60}")
