"""Signatures (``OPIOSign``), values (``OPIO``) and the field kinds they hold."""

from __future__ import annotations

from typing import Any

from .._mapping import DictMapping
from ..graph.keywords import check_keywords

__all__ = ["OPIO", "Artifact", "BigParameter", "OPIOSign", "Parameter", "field_kind"]

_NO_DEFAULT: Any = object()


class OPIO(DictMapping):
    """The values an OP receives or returns: name → value (artifacts as local paths)."""


class OPIOSign(DictMapping):
    """The declared fields: name → type, ``Parameter``, ``BigParameter`` or ``Artifact``."""


class Artifact:
    """A file input or output: ``type`` is ``str``/``Path`` or a List/Set/Dict of them."""

    def __init__(
        self,
        type: object,
        archive: str | None = "tar",
        save: Any = None,
        optional: bool = False,
        global_name: str | None = None,
        sub_path: bool = True,
        **kwargs: object,
    ) -> None:
        self.type: Any = type
        self.archive = archive
        self.save = save
        self.optional = optional
        self.global_name = global_name
        self.sub_path = sub_path
        self.extra = check_keywords("Artifact", kwargs, [Artifact.__init__], ("description",))

    def __repr__(self) -> str:
        return f"Artifact({_type_repr(self.type)}, optional={self.optional})"


class Parameter:
    """A value input or output, passed by value (jsonpickle for non-JSON types)."""

    def __init__(
        self,
        type: object = Any,
        default: Any = _NO_DEFAULT,
        global_name: str | None = None,
        **kwargs: object,
    ) -> None:
        self.type: Any = type
        self.global_name = global_name
        self.extra = check_keywords(self.__class__.__name__, kwargs, [Parameter.__init__], ("description",))
        if default is not _NO_DEFAULT:
            self.default = default

    @property
    def has_default(self) -> bool:
        return hasattr(self, "default")

    def __repr__(self) -> str:
        default = f", default={self.default!r}" if self.has_default else ""
        return f"{type(self).__name__}({_type_repr(self.type)}{default})"


class BigParameter(Parameter):
    """A value kept in the artifact store rather than inline (large or binary-ish)."""


def field_kind(spec: Any) -> Parameter | Artifact:
    """Normalise a sign entry: a bare type means ``Parameter(type)``."""
    if isinstance(spec, (Parameter, Artifact)):
        return spec
    return Parameter(spec)


def _type_repr(tp: Any) -> str:
    return tp.__name__ if isinstance(tp, type) else str(tp).replace("typing.", "")
