"""Job states as the engine sees them, and the mapping from Slurm's many states onto them.

Slurm has ~25 job states; the engine needs to know only: still waiting, running, done
well, or done badly and why (so it can choose between failure, retry and timeout).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["JobState", "JobStatus", "exit_code_from_slurm", "status_from_slurm"]


class JobState(enum.Enum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMEOUT = "TIMEOUT"
    OUT_OF_MEMORY = "OUT_OF_MEMORY"
    NODE_FAIL = "NODE_FAIL"
    UNKNOWN = "UNKNOWN"

    @property
    def finished(self) -> bool:
        """True once the job will not change state any more."""
        return self not in (JobState.PENDING, JobState.RUNNING, JobState.UNKNOWN)


@dataclass(frozen=True)
class JobStatus:
    """One job's (or array task's) state; ``reason`` is Slurm's own text for the step message."""

    state: JobState
    exit_code: int | None
    reason: str


_WAITING = {"PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"}
_ACTIVE = {"RUNNING", "COMPLETING", "STAGE_OUT", "SIGNALING", "RESIZING", "SUSPENDED", "STOPPED"}
# PREEMPTED and BOOT_FAIL are the cluster's doing, not the step's: reported as NODE_FAIL so
# the engine treats them as transient (retryable), with Slurm's state kept in the reason.
_FINAL = {
    "COMPLETED": JobState.SUCCEEDED,
    "FAILED": JobState.FAILED,
    "SPECIAL_EXIT": JobState.FAILED,
    "CANCELLED": JobState.CANCELLED,
    "REVOKED": JobState.CANCELLED,
    "TIMEOUT": JobState.TIMEOUT,
    "DEADLINE": JobState.TIMEOUT,
    "OUT_OF_MEMORY": JobState.OUT_OF_MEMORY,
    "NODE_FAIL": JobState.NODE_FAIL,
    "BOOT_FAIL": JobState.NODE_FAIL,
    "PREEMPTED": JobState.NODE_FAIL,
}


def exit_code_from_slurm(text: str) -> int | None:
    """``"3:0"`` → 3; killed by signal ``"0:9"`` → 137 (the shell's 128+N); junk → None."""
    status, _, signal = text.strip().partition(":")
    try:
        code, sig = int(status), int(signal or "0")
    except ValueError:
        return None
    return 128 + sig if code == 0 and sig else code


def status_from_slurm(state: str, reason: str = "", exit_code: str = "") -> JobStatus:
    """Map Slurm's state name (``squeue %T`` / ``JobState=``) and its texts onto a JobStatus."""
    name = state.strip().upper().split()[0].rstrip("+") if state.strip() else ""
    code = exit_code_from_slurm(exit_code) if exit_code else None
    why = _describe(name, reason)
    if name in _WAITING:
        return JobStatus(JobState.PENDING, None, why)
    if name in _ACTIVE:
        return JobStatus(JobState.RUNNING, None, why)
    if name == "COMPLETED":
        return JobStatus(JobState.SUCCEEDED if not code else JobState.FAILED, code or 0, why)
    if name in _FINAL:
        return JobStatus(_FINAL[name], code, why)
    return JobStatus(JobState.UNKNOWN, code, why or "no state reported by Slurm")


def _describe(name: str, reason: str) -> str:
    reason = reason.strip()
    if not reason or reason in ("None", "(null)"):
        return name
    return f"{name} ({reason})"
