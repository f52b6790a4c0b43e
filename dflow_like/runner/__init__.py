"""The step runner: runs one step from a prepared directory, the same way on every engine.

``run_step`` and ``StepSpec`` load on first use, so importing a light submodule
(``codes``, ``namespace``) does not import the runner and everything it runs with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .execute import run_step
    from .spec import StepSpec

__all__ = ["StepSpec", "run_step"]


def __getattr__(name: str) -> Any:
    if name == "run_step":
        from .execute import run_step

        return run_step
    if name == "StepSpec":
        from .spec import StepSpec

        return StepSpec
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
