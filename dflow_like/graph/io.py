"""Inputs and outputs of templates, and the references steps pass to each other.

Every reference renders as the Argo template text it stands for
(``{{steps.a.outputs.parameters.x}}``) and carries the expr-lang form in ``expr``,
so the local engine and the Argo compiler read the very same strings.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._mapping import DictMapping
from ..expr import ArgoVar
from .keywords import check_keywords

if TYPE_CHECKING:
    from .step import Step

__all__ = [
    "PVC",
    "InputArtifact",
    "InputParameter",
    "Inputs",
    "OutputArtifact",
    "OutputParameter",
    "Outputs",
    "owner_prefix",
]

_UNSET: Any = object()


def owner_prefix(step: Step | None) -> tuple[str, str]:
    """(template-text prefix, expr prefix) of a step's or a template's own fields."""
    if step is None:
        return "inputs", "inputs"
    scope = "tasks" if getattr(step, "is_task", False) else "steps"
    return f"{scope}.{step.name}.outputs", f"{scope}['{step.name}'].outputs"


class PVC:
    """A persistent volume claim a step saves an output artifact into, or reads an input from.

    dflow's ``PVC`` (``dflow/io.py``): ``OutputArtifact.pvc()`` makes one named ``public``
    with a random sub-path; passing it as another step's artifact gives that step the
    path, even while the writer is still running (dflow's asynchronous hand-over,
    ``examples/test_async.py``). Locally a claim is a directory of the run
    (``<run>/pvc/<name>/<subpath>``); on Argo a ``volumeClaimTemplates`` entry.
    """

    def __init__(
        self,
        name: str,
        subpath: str,
        size: str = "1Gi",
        storage_class: str | None = None,
        access_modes: list[str] | None = None,
    ) -> None:
        self.name = name
        self.subpath = subpath
        self.size = size
        self.storage_class = storage_class
        self.access_modes = list(access_modes or ["ReadWriteOnce"])

    def __repr__(self) -> str:
        return f"PVC({self.name!r}, {self.subpath!r})"


class _Field(ArgoVar):
    """A named parameter/artifact of a template (``step is None``) or of a step's outputs."""

    kind = "parameters"
    direction = "inputs"

    def __init__(self, name: str | None = None, step: Step | None = None, type: object = None) -> None:
        super().__init__("")
        self.name = name or ""
        self.step = step
        self.type: Any = type  # a type expression (int, list[str], Path), or None

    @property
    def has_value(self) -> bool:
        """Whether a value (or default) was given: ``None`` is a value, an unset field has none."""
        return "value" in self.__dict__

    @property
    def template_path(self) -> str:
        text, _ = self._prefixes()
        return f"{text}.{self.kind}.{self.name}"

    @property  # type: ignore[override]
    def expr(self) -> str:
        _, expr = self._prefixes()
        return f"{expr}.{self.kind}['{self.name}']"

    @expr.setter
    def expr(self, value: str) -> None:  # ArgoVar.__init__ assigns it; the name decides
        pass

    def _prefixes(self) -> tuple[str, str]:
        if self.step is None:
            return f"{self.direction}", f"{self.direction}"
        return owner_prefix(self.step)

    def __str__(self) -> str:
        return "{{" + self.template_path + "}}"

    def __repr__(self) -> str:
        return str(self)

    def bound(self, step: Step) -> _Field:
        """A copy that refers to this field as an output of ``step``."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.step = step
        return clone


class InputParameter(_Field):
    """An input parameter of a ``Steps``/``DAG``/script template; ``value`` is its default."""

    big = False  # a BigParameter of a Python OP (kept in the artifact store on Argo)

    def __init__(
        self,
        name: str | None = None,
        type: object = None,
        value: Any = _UNSET,
        description: str | None = None,
        global_name: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(name, None, type)
        self.description = description
        self.global_name = global_name
        self.extra = check_keywords(
            f"InputParameter {name!r}" if name else "InputParameter",
            kwargs,
            [InputParameter.__init__],
            ("step", "template", "save_as_artifact", "path", "source"),
        )
        if value is not _UNSET:
            self.value = value


class InputArtifact(_Field):
    kind = "artifacts"

    def __init__(
        self,
        path: str | None = None,
        name: str | None = None,
        optional: bool = False,
        type: object = None,
        archive: str | None = "tar",
        sub_path: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(name, None, type)
        self.path = path
        self.optional = optional
        self.archive = archive
        self.sub_path = sub_path
        self.extra = check_keywords(
            f"InputArtifact {name!r}" if name else "InputArtifact",
            kwargs,
            [InputArtifact.__init__],
            ("step", "template", "source", "mode", "save_as_parameter", "description"),
        )


class OutputParameter(_Field):
    """An output parameter; on a step's ``outputs`` it is a reference to the value."""

    direction = "outputs"

    def __init__(
        self,
        value_from_path: str | None = None,
        value_from_parameter: Any = None,
        name: str | None = None,
        type: object = None,
        default: Any = _UNSET,
        global_name: str | None = None,
        value_from_expression: Any = None,
        save_as_artifact: bool = False,
        value: Any = _UNSET,
        **kwargs: object,
    ) -> None:
        super().__init__(name, None, type)
        self.value_from_path = value_from_path
        self.value_from_parameter = value_from_parameter
        self.value_from_expression = value_from_expression
        self.global_name = global_name
        self.save_as_artifact = save_as_artifact
        self.extra = check_keywords(
            f"OutputParameter {name!r}" if name else "OutputParameter",
            kwargs,
            [OutputParameter.__init__],
            ("step", "template", "save_both", "description"),
        )
        if default is not _UNSET:
            self.default = default
        if value is not _UNSET:
            self.value = value


class OutputArtifact(_Field):
    kind = "artifacts"
    direction = "outputs"

    def __init__(
        self,
        path: str | None = None,
        _from: Any = None,
        name: str | None = None,
        type: object = None,
        save: Any = None,
        archive: str | None = "tar",
        global_name: str | None = None,
        from_expression: Any = None,
        optional: bool = False,
        **kwargs: object,
    ) -> None:
        super().__init__(name, None, type)
        self.path = path
        self._from = _from
        self.save = save
        self.archive = archive
        self.global_name = global_name
        self.from_expression = from_expression
        self.optional = optional
        self.extra = check_keywords(
            f"OutputArtifact {name!r}" if name else "OutputArtifact",
            kwargs,
            [OutputArtifact.__init__],
            ("step", "template"),
        )

    def pvc(self, size: str = "1Gi", storage_class: str | None = None, access_modes: list[str] | None = None) -> PVC:
        """Also save this artifact into a new claim (dflow's ``OutputArtifact.pvc``); returns it.

        On a step's outputs (``step.outputs.artifacts["x"].pvc()``) only that step saves it.
        """
        import secrets

        template = getattr(self.step, "template", None)
        if template is not None and getattr(template, "kind", "") != "script":
            raise TypeError(
                f"step {self.step.name!r}: output artifact {self.name!r}: only script templates (ShellOPTemplate, "  # type: ignore[union-attr]
                f"PythonScriptOPTemplate) can save into a PVC, as in dflow; got a {template.kind} template"
            )
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        claim = PVC("public", "".join(secrets.choice(alphabet) for _ in range(5)), size, storage_class, access_modes)
        self.save = [*_save_list(self.save), claim]  # a new list: never the template's
        return claim

    def pvcs(self) -> list[PVC]:
        """The claims this artifact is saved into."""
        return [s for s in _save_list(self.save) if isinstance(s, PVC)]


def _save_list(save: Any) -> list[Any]:
    if save is None:
        return []
    return list(save) if isinstance(save, (list, tuple)) else [save]


class _NamedFields(DictMapping):
    """name → field; storing a field names it (``inputs.parameters["x"] = InputParameter()``).

    ``kind`` is the field class this mapping holds (``InputParameter`` for
    ``inputs.parameters``, ...); anything else is refused with the name and both types,
    where dflow's ``AutonamedDict`` subclasses (``dflow/io.py``) only ``assert``.
    """

    def __init__(self, fields: Any = None, kind: type[_Field] | None = None, where: str = "") -> None:
        self._kind = kind
        self._where = where
        self._owner = ""  # "step 'x'" on a step's bound outputs (``Outputs.bound``)
        self._noun = "field"
        super().__init__(fields or {})

    def __getitem__(self, key: str) -> Any:
        try:
            return self._data[key]
        except KeyError:
            known = ", ".join(self._data) or "none"
            close = difflib.get_close_matches(str(key), list(self._data), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            if self._owner:  # a step's outputs: say which step and which kind, as the validator does
                raise KeyError(f"{self._owner} has no {self._noun} {key!r}{hint} (it has: {known})") from None
            raise KeyError(f"no field {key!r}{hint} (known: {known})") from None

    def __setitem__(self, key: str, value: Any) -> None:
        if self._kind is not None and not isinstance(value, self._kind):
            raise TypeError(
                f"{self._where}[{key!r}]: expected {self._kind.__name__}, got {type(value).__name__} {value!r:.60}"
            )
        if isinstance(value, _Field):
            value.name = key
        self._data[key] = value

    def __repr__(self) -> str:
        return f"{dict(self._data)!r}"


class Inputs:
    """A template's inputs. ``parameters``/``artifacts`` may be assigned plain dicts later
    (``tmpl.inputs.artifacts = {"foo": InputArtifact(path=...)}``): the fields are named by
    their keys exactly as through the constructor, as dflow's ``Inputs.__setattr__`` does."""

    def __init__(
        self,
        parameters: dict[str, InputParameter] | None = None,
        artifacts: dict[str, InputArtifact] | None = None,
    ) -> None:
        self.parameters = parameters or {}  # type: ignore[assignment]
        self.artifacts = artifacts or {}  # type: ignore[assignment]

    def __setattr__(self, key: str, value: Any) -> None:
        if key in ("parameters", "artifacts"):
            kind = InputParameter if key == "parameters" else InputArtifact
            value = _named(value, kind, f"inputs.{key}")
        super().__setattr__(key, value)

    # Declared for type checkers: ``__setattr__`` always stores ``_NamedFields``.
    parameters: _NamedFields
    artifacts: _NamedFields


class Outputs:
    """A template's outputs (or, bound, references to a step's outputs); dict assignment
    names the fields as for ``Inputs``."""

    def __init__(
        self,
        parameters: dict[str, OutputParameter] | None = None,
        artifacts: dict[str, OutputArtifact] | None = None,
    ) -> None:
        self.parameters = parameters or {}  # type: ignore[assignment]
        self.artifacts = artifacts or {}  # type: ignore[assignment]

    def __setattr__(self, key: str, value: Any) -> None:
        if key in ("parameters", "artifacts"):
            kind = OutputParameter if key == "parameters" else OutputArtifact
            value = _named(value, kind, f"outputs.{key}")
        super().__setattr__(key, value)

    parameters: _NamedFields
    artifacts: _NamedFields

    def bound(self, step: Step) -> Outputs:
        """The same fields, as references to ``step``'s outputs."""
        out = Outputs()
        for fields, noun in ((out.parameters, "output parameter"), (out.artifacts, "output artifact")):
            fields._owner, fields._noun = f"step {step.name!r}", noun  # a bad reference names the step
        for name, par in self.parameters.items():
            out.parameters._data[name] = par.bound(step)
        for name, art in self.artifacts.items():
            out.artifacts._data[name] = art.bound(step)
        return out


def _named(value: Any, kind: type[_Field], where: str) -> _NamedFields:
    """A new mapping of the given fields (a copy, as dflow's ``UserDict`` wrapping is)."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{where}: expected a dict of name → {kind.__name__}, got {type(value).__name__}")
    return _NamedFields(dict(value), kind, where)
