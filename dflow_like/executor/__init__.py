"""Executors: where a step's runner runs. ``DispatcherExecutor`` describes a Slurm target."""

from .dispatcher import DispatcherExecutor

__all__ = ["DispatcherExecutor"]
