"""A ``Slices`` must name fields its template declares, each in the list of its kind.

Without this check ``Slices(input_parameter=["Temp"])`` on an OP whose input is
``temp`` was reported as a type error of ``temp`` (a list where a number was
expected), which points at the wrong field.
"""

from __future__ import annotations

import difflib
from typing import Any

from .errors import DefinitionError

__all__ = ["check_slice_names"]

_LISTS = (
    ("input_parameter", "inputs", "parameters", "input_artifact"),
    ("input_artifact", "inputs", "artifacts", "input_parameter"),
    ("output_parameter", "outputs", "parameters", "output_artifact"),
    ("output_artifact", "outputs", "artifacts", "output_parameter"),
)


def check_slice_names(owner: str, slices: Any, template: Any) -> None:
    """Raise :class:`DefinitionError` for a Slices name the template does not declare as that kind."""
    for field, side, kind, other_field in _LISTS:
        names = getattr(slices, field, None) or []
        if isinstance(names, str):
            raise DefinitionError(f"{owner}: Slices {field} must be a list of names, got the string {names!r}")
        declared = list(getattr(getattr(template, side), kind))
        other_kind = "artifacts" if kind == "parameters" else "parameters"
        other = list(getattr(getattr(template, side), other_kind))
        for name in names:
            if name in declared:
                continue
            what = f"{side[:-1]} {kind[:-1]}"  # "input parameter", "output artifact", ...
            if name in other:
                hint = f"; it is an {side[:-1]} {other_kind[:-1]}: list it in {other_field}"
            else:
                close = difflib.get_close_matches(name, declared, n=1) or [
                    d for d in declared if d.lower() == str(name).lower()
                ]
                hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise DefinitionError(
                f"{owner}: Slices {field} names {name!r}, which is not an {what} of template "
                f"{template.name!r}{hint}; its {what}s: {', '.join(declared) or 'none'}"
            )
