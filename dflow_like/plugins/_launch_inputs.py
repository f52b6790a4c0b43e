"""The inputs of a launched OP or template (``launching``): what each is, and a value
from its command-line text or a JSON config, checked against its declared type."""

from __future__ import annotations

import enum
import json
import os
import types
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, Literal, Union, get_args, get_origin

from ..graph.template import OPTemplate
from ..python.op import OP
from ..python.opio import Artifact, BigParameter, field_kind

__all__ = [
    "MISSING",
    "RESERVED",
    "BadInput",
    "Input",
    "artifact_for_op",
    "artifact_path",
    "op_inputs",
    "parameter_value",
    "template_inputs",
]

MISSING: Any = object()
_UNIONS = (Union, types.UnionType)
_SEQUENCES = (list, set, frozenset, tuple)
_TRUE = {"true", "1", "yes", "on", "y", "t"}
_FALSE = {"false", "0", "no", "off", "n", "f"}
RESERVED = {"output_dir", "json_config", "json-config", "version", "help", "h"}


@dataclass
class Input:
    """One input of the signature, as the command line offers it."""

    name: str
    artifact: bool
    type: Any = None  # None: untyped (a template's parameter without ``type=``)
    description: str = ""
    default: Any = MISSING
    optional: bool = False  # an artifact that may be left out
    big: bool = False

    @property
    def required(self) -> bool:
        return self.default is MISSING and not self.optional

    @property
    def may_be_none(self) -> bool:
        """An ``Optional[...]`` parameter: pydantic (dflow's parser) makes it None when not given."""
        return get_origin(self.type) in _UNIONS and type(None) in get_args(self.type)

    @property
    def is_bool(self) -> bool:
        return not self.artifact and self.type is bool

    @property
    def is_many(self) -> bool:
        return not self.artifact and (self.type in _SEQUENCES or get_origin(self.type) in _SEQUENCES)

    def label(self) -> str:
        kind = "artifact" if self.artifact else "parameter"
        about = f", {self.description!r}" if self.description else ""
        flag = f"--enable-{self.name}/--disable-{self.name}" if self.is_bool else f"--{self.name}"
        return f"{flag} (input {kind} {self.name!r}{about})"

    def expects(self) -> str:
        if self.artifact:
            return "a path to an existing file or directory"
        return "a value (text or JSON)" if self.type is None else _type_name(self.type)


class BadInput(Exception):
    """Input the command line refuses; exits 2 with the message."""


def _type_name(tp: Any) -> str:
    if tp is None or tp is Any:
        return "any value"
    if isinstance(tp, type) and get_origin(tp) is None:
        return tp.__name__
    return str(tp).replace("typing.", "")


def _conforms(value: Any, tp: Any) -> bool:
    """Whether ``value`` is a ``tp`` as an OP's ``exec_sign_check`` would see it."""
    from ..python.checks import fast_accepts

    if fast_accepts(value, tp):
        return True
    from typeguard import CollectionCheckStrategy, TypeCheckError, check_type

    try:
        check_type(value, tp, collection_check_strategy=CollectionCheckStrategy.ALL_ITEMS)
    except TypeCheckError:
        return False
    return True


def _from_text(text: str, tp: Any) -> Any:
    """``text`` (one command-line word) as a ``tp``; ``ValueError`` when it is not one."""
    if tp is None or tp is Any:
        try:
            return json.loads(text)
        except ValueError:
            return text
    if tp is str:
        return text
    if tp is bool:
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ValueError
    if tp is int:
        return int(text)
    if tp is float:
        return float(text)
    if isinstance(tp, type) and issubclass(tp, PurePath):
        return tp(text)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        for member in tp:
            if text in (member.name, str(member.value)):
                return member
        raise ValueError
    origin, args = get_origin(tp), get_args(tp)
    if origin is Literal:
        for choice in args:
            if text == str(choice):
                return choice
        raise ValueError
    if origin in _UNIONS:
        if type(None) in args and text in ("null", "None"):
            return None
        for arm in args:
            if arm is type(None):
                continue
            try:
                return _from_text(text, arm)
            except ValueError:
                continue
        raise ValueError
    value = json.loads(text)  # containers, dicts, anything else: JSON (ValueError if not)
    return _from_json(value, tp)


def _from_json(value: Any, tp: Any) -> Any:
    """A JSON value (from ``--json-config`` or a JSON word) as a ``tp``; ``ValueError`` if not."""
    if isinstance(value, str) and tp is not str and tp is not None and tp is not Any:
        return _from_text(value, tp)
    if tp is float and type(value) is int:  # JSON's 2 for a float: 2.0, as pydantic makes it
        return float(value)
    origin, args = get_origin(tp), get_args(tp)
    if isinstance(value, list) and (tp in _SEQUENCES or origin in _SEQUENCES):
        kind = origin or tp
        if kind is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            if len(args) != len(value):
                raise ValueError
            return tuple(_from_json(v, a) for v, a in zip(value, args))
        item = args[0] if args else Any
        return kind(_from_json(v, item) for v in value)
    if tp is not None and not _conforms(value, tp):
        raise ValueError
    return value


def _given(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(repr(v) for v in value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parameter_value(field: Input, raw: Any, from_cli: bool) -> Any:
    try:
        if from_cli and field.is_many:  # several words (nargs="+"), or one JSON list
            words = list(raw)
            if len(words) == 1 and words[0].lstrip().startswith("["):
                return _from_text(words[0], field.type)
            return _from_json(words, field.type)
        if from_cli:
            return _from_text(raw, field.type)
        return _from_json(raw, field.type)
    except ValueError:
        raise BadInput(f"{field.label()}: expected {field.expects()}, given {_given(raw)}") from None


def artifact_path(field: Input, raw: Any) -> Path:
    path = raw.get("path") if isinstance(raw, dict) else raw  # dp-launching's InputFilePath takes {"path": ...}
    if not isinstance(path, str) or not path:
        raise BadInput(f"{field.label()}: expected {field.expects()}, given {_given(raw)}")
    if not os.path.exists(path):
        raise BadInput(f"{field.label()}: expected {field.expects()}, given {path!r}, which does not exist")
    return Path(path).absolute()


def artifact_for_op(path: Path, tp: Any) -> Any:
    """What the OP's ``execute`` sees for an artifact given as one path (as dflow's
    ``handle_input_artifact`` hands it: the path in the declared shape)."""
    as_str = tp is str or (tp is not Path and "str" in str(tp) and "Path" not in str(tp))
    one: Any = str(path) if as_str else path
    origin = get_origin(tp)
    if origin in (set, frozenset):
        return {one}
    if origin is list or str(tp).startswith(("typing.List", "list[")):
        return [one]
    if origin is dict or str(tp).startswith(("typing.Dict", "dict[")):
        return {path.name: one}
    return one


# --- the inputs of an OP or a template ---------------------------------------------------


def _description(spec: Any) -> str:
    text = getattr(spec, "description", None) or getattr(spec, "extra", {}).get("description")
    return str(text) if text else ""


def op_inputs(op: OP) -> list[Input]:
    fields = []
    for name, raw_spec in op.get_input_sign().items():
        spec = field_kind(raw_spec)
        if isinstance(spec, Artifact):
            fields.append(Input(name, True, spec.type, _description(spec), optional=spec.optional))
        else:
            default = spec.default if spec.has_default else MISSING
            big = isinstance(spec, BigParameter)
            fields.append(Input(name, False, spec.type, _description(spec), default, big=big))
            if fields[-1].may_be_none and default is MISSING:
                fields[-1].default = None
    return fields


def template_inputs(templ: OPTemplate) -> list[Input]:
    op_class = getattr(templ, "op_class", None)  # a PythonOPTemplate: its OP's sign describes the inputs
    sign = op_class.get_input_sign() if op_class is not None else {}
    fields = []
    for name, par in templ.inputs.parameters.items():
        about = _description(par) or (_description(sign[name]) if name in sign else "")
        field = Input(name, False, par.type, about, big=bool(getattr(par, "big", False)))
        field.default = par.value if par.has_value else None if field.may_be_none else MISSING
        fields.append(field)
    for name, art in templ.inputs.artifacts.items():
        about = _description(art) or (_description(sign[name]) if name in sign else "")
        fields.append(Input(name, True, art.type, about, optional=bool(art.optional)))
    return fields


# --- the command line --------------------------------------------------------------------
