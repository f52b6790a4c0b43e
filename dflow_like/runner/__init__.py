"""The step runner: runs one step from a prepared directory, the same way on every engine."""

from .execute import run_step
from .spec import StepSpec

__all__ = ["StepSpec", "run_step"]
