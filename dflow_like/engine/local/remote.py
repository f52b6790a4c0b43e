"""Executors other than a forked local process (Slurm), adapted to the engine's interface."""

from __future__ import annotations

from typing import Any

__all__ = ["executor_for_spec"]


def executor_for_spec(spec: Any, workspace: Any) -> Any:
    from ...executor.slurm.engine_adapter import SlurmStepExecutor

    return SlurmStepExecutor(spec, workspace)
