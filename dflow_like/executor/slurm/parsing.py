"""Parsers for the text Slurm's commands print: ``squeue``, ``scontrol -o``, jobcomp files.

Kept apart from the executor so every format is unit-tested on captured output.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .states import JobStatus, status_from_slurm

__all__ = [
    "SQUEUE_FORMAT",
    "parse_config",
    "parse_records",
    "parse_sbatch_id",
    "parse_squeue",
    "record_key",
    "statuses_from_records",
]

SQUEUE_FORMAT = "%i|%T|%Z|%r"
"""``squeue -o`` format: id (``ID_INDEX`` for array tasks with ``-r``), state, workdir, reason."""

_FIELD = re.compile(r"(?:^|\s+)([A-Za-z][A-Za-z0-9_:/]*)=")


def parse_sbatch_id(stdout: str) -> str:
    """``sbatch --parsable`` prints ``ID`` or ``ID;CLUSTER``; return ``ID``."""
    first = stdout.strip().splitlines()[0] if stdout.strip() else ""
    job_id = first.split(";")[0].strip()
    if not job_id.isdigit():
        raise ValueError(f"sbatch printed no job id: {stdout.strip()!r}")
    return job_id


def parse_squeue(stdout: str) -> dict[str, tuple[JobStatus, str]]:
    """Lines of ``SQUEUE_FORMAT`` → (status, workdir) by id; squeue knows no exit codes."""
    out: dict[str, tuple[JobStatus, str]] = {}
    for line in stdout.splitlines():
        parts = line.strip().split("|", 3)
        if len(parts) == 4 and parts[0]:
            out[parts[0]] = (status_from_slurm(parts[1], parts[3]), parts[2])
    return out


def parse_record(line: str) -> dict[str, str]:
    """One ``Key=Value Key=Value`` line (``scontrol show job -o``, jobcomp/filetxt)."""
    matches = list(_FIELD.finditer(line))
    fields: dict[str, str] = {}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        fields[match.group(1)] = line[match.end() : end].strip()
    return fields


def parse_records(text: str) -> list[dict[str, str]]:
    return [parse_record(line) for line in text.splitlines() if "JobId=" in line]


def record_key(record: dict[str, str]) -> str:
    """The id the engine uses: ``ARRAYID_INDEX`` for an array task, else ``JobId``."""
    task = record.get("ArrayTaskId", "")
    if record.get("ArrayJobId") and task.isdigit():
        return f"{record['ArrayJobId']}_{task}"
    return record.get("JobId", "")


def statuses_from_records(records: Iterable[dict[str, str]]) -> dict[str, tuple[JobStatus, str]]:
    """Records → (status, workdir) by id; a later record of one id wins (requeued jobs)."""
    out: dict[str, tuple[JobStatus, str]] = {}
    for rec in records:
        key = record_key(rec)
        if key:
            status = status_from_slurm(rec.get("JobState", ""), rec.get("Reason", ""), rec.get("ExitCode", ""))
            out[key] = (status, rec.get("WorkDir", ""))
    return out


def parse_config(stdout: str) -> dict[str, str]:
    """``scontrol show config`` lines ``Name = value`` → dict."""
    out: dict[str, str] = {}
    for line in stdout.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() and " " not in name.strip():
            out[name.strip()] = value.strip()
    return out
