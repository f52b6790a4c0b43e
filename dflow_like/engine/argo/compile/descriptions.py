"""A parameter's declared type, written as dflow writes it: ``description: '{"type": "int"}'``.

dflow's ``InputParameter.convert_to_argo`` and ``OutputParameter.convert_to_argo_parameter``
(``dflow/io.py``) put ``jsonpickle.dumps({"type": type_to_str(self.type)})`` in a typed
parameter's ``description`` and nothing in an untyped one's. Argo keeps a parameter's
description in the node's inputs and outputs (the executor fills ``value`` in the
template's own parameters, ``SaveParameters`` in workflow/executor/executor.go), so a
record read back from Argo's status knows which values to decode and which stay strings
(``status._type_name``), as the local engine's records do.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["described", "type_to_str"]


def type_to_str(tp: Any) -> str:
    """dflow's ``type_to_str`` (``dflow/io.py``): ``int``, ``list``, ``mod.Class``, else ``str(tp)``."""
    if hasattr(tp, "__module__") and hasattr(tp, "__name__"):
        return str(tp.__name__) if tp.__module__ == "builtins" else f"{tp.__module__}.{tp.__name__}"
    return str(tp)


def described(entry: dict[str, Any], tp: Any) -> dict[str, Any]:
    """``entry`` with dflow's type description when ``tp`` is declared (``None``: untyped)."""
    if tp is not None:
        entry["description"] = json.dumps({"type": type_to_str(tp)})
    return entry
