"""A chemistry OP whose module imports ASE and matplotlib at module level (bench/realistic.py)."""

from __future__ import annotations

import ase
import matplotlib

from dflow_like.python import OP


@OP.function
def module_level(x: float) -> {"y": float, "versions": str}:  # type: ignore[valid-type]  # noqa: F821
    return {"y": x, "versions": f"{ase.__version__}/{matplotlib.__version__}"}
