"""Names Argo would refuse, reported when the step is built rather than at ``lint()``.

Argo validates step and task names with ``workflowFieldNameFmt``
(``[a-zA-Z0-9][-a-zA-Z0-9]*``, at most ``workflowFieldMaxLength`` = 128 characters;
``workflow/validate/validate.go``). The local engine runs any name, so a mistake
would otherwise only surface when the workflow moves to a cluster.
"""

from __future__ import annotations

import re
import warnings

__all__ = ["ArgoNameWarning", "warn_if_argo_refuses"]

_FIELD_NAME = re.compile(r"[a-zA-Z0-9][-a-zA-Z0-9]*")
_FIELD_MAX = 128


class ArgoNameWarning(UserWarning):
    """A name that runs locally but that Argo Workflows would refuse."""


def warn_if_argo_refuses(what: str, name: str, stacklevel: int = 3) -> None:
    """Warn (:class:`ArgoNameWarning`) when Argo would refuse ``name`` as a step/task name."""
    if _FIELD_NAME.fullmatch(name) and len(name) <= _FIELD_MAX:
        return
    fixed = re.sub(r"[^-a-zA-Z0-9]", "-", name).lstrip("-")[:_FIELD_MAX] or "step"
    warnings.warn(
        f"{what} {name!r}: Argo Workflows would refuse this name (letters, digits and '-', starting with a "
        f"letter or digit, at most {_FIELD_MAX} characters); it runs locally, but not on Argo. Try {fixed!r}.",
        ArgoNameWarning,
        stacklevel=stacklevel,
    )
