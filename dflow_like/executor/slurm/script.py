"""Render the sbatch script for one step (or one array of slices).

Everything user-given reaches the shell through ``shlex.quote``; ``#SBATCH`` values are
checked to be single-line so a value can never smuggle in a second directive or command.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping, Sequence

from ..dispatcher import DispatcherExecutor

__all__ = ["array_log_path", "job_name_for_slurm", "render_script"]

_NAME_BAD = re.compile(r"[^A-Za-z0-9_.\-]")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def job_name_for_slurm(name: str) -> str:
    """Slurm job names are free text, but squeue columns and shells like them plain."""
    return _NAME_BAD.sub("_", name)[:128] or "step"


def array_log_path(log_path: str, array_size: int | None) -> str:
    """An array job writes one log per task: add ``%a`` (the task index) unless present."""
    if not array_size or "%a" in log_path:
        return log_path
    root, ext = os.path.splitext(log_path)
    return f"{root}_%a{ext}"


def _directive(option: str, value: str | int | None = None) -> str:
    text = option if value is None else f"{option}={value}"
    if "\n" in text or "\r" in text:
        raise ValueError(f"sbatch option must be one line: {text!r}")
    if value is not None and any(c.isspace() for c in str(value)):
        if '"' in str(value):
            raise ValueError(f"sbatch option value has both spaces and quotes: {text!r}")
        text = f'{option}="{value}"'
    return f"#SBATCH {text}"


def _resource_directives(spec: DispatcherExecutor, array_size: int | None) -> list[str]:
    lines: list[str] = []
    pairs: list[tuple[str, str | int | None]] = [
        ("--nodes", spec.nodes),
        ("--cpus-per-task", spec.cpus),
        ("--mem", spec.memory),
        ("--gres", f"gpu:{spec.gpus}" if spec.gpus else None),
        ("--time", spec.time_limit),
        ("--partition", spec.partition),
        ("--account", spec.account),
    ]
    if array_size:
        limit = f"%{spec.array_parallelism}" if spec.array_parallelism else ""
        pairs.append(("--array", f"0-{array_size - 1}{limit}"))
    lines += [_directive(opt, val) for opt, val in pairs if val is not None]
    lines += [_directive(extra) for extra in spec.sbatch_lines]
    return lines


def _exports(envs: Mapping[str, str]) -> list[str]:
    for name in envs:
        if not _ENV_NAME.match(name):
            raise ValueError(f"bad environment variable name for the job: {name!r}")
    return [f"export {name}={shlex.quote(value)}" for name, value in envs.items()]


def render_script(
    spec: DispatcherExecutor,
    command: Sequence[str],
    workdir: str,
    job_name: str,
    log_path: str,
    array_size: int | None = None,
) -> str:
    """The complete batch script; the command's exit code is the job's exit code."""
    if not command:
        raise ValueError("render_script: empty command")
    if array_size is not None and array_size < 1:
        raise ValueError(f"render_script: array_size={array_size} must be >= 1")
    log = array_log_path(log_path, array_size)
    lines = [
        "#!/bin/bash",
        _directive("--job-name", job_name_for_slurm(job_name)),
        _directive("--output", log),
        _directive("--error", log),
        _directive("--chdir", workdir),
        *_resource_directives(spec, array_size),
        *_exports(spec.envs),
        f"cd {shlex.quote(workdir)} || exit 1",
    ]
    if spec.pre_script.strip():
        lines.append(spec.pre_script.rstrip())
    lines += [shlex.join(command), "status=$?"]
    if spec.post_script.strip():
        lines.append(spec.post_script.rstrip())
    lines.append('exit "$status"')
    return "\n".join(lines) + "\n"
