"""The runner contract, in one place: how a step's process ends and what an engine makes of it.

The runner (``execute.run_step``, started by the local engine's fork, a Slurm job or an
Argo pod) exits with one of the ``codes``; the engine that watched the process records
an :class:`Outcome`. Executors (``executor/slurm``) and the local engine both import it
from here, so neither depends on the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from .codes import ERROR, FAILED, FATAL, SUCCEEDED, TRANSIENT

__all__ = ["ERROR", "FAILED", "FATAL", "SUCCEEDED", "TRANSIENT", "Outcome"]


@dataclass
class Outcome:
    """How a runner process ended."""

    exit_code: int | None  # None when killed by a signal
    signal: int | None = None
    timed_out: bool = False
    pid: int = 0
    outputs: str | None = None  # outputs.json, when the executor already read it
    reason: str = ""  # what the executor knows of the end (e.g. a Slurm state)
    started: float | None = None  # when the step's process got its worker (time.time())
