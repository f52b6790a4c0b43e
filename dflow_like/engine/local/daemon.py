"""The engine process of one local run: ``python -m dflow_like.engine.local ROOT [--resume]``.

Start-up order matters for speed: load the workflow, fork the warm workers, and only
then import the scheduler (asyncio, SQLite, the interpreter), which the workers
never need and so never copy on every fork (see ``worker_process``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..._config import config, s3_config
from ...graph.collect import TemplateTable
from .payload import read_payload
from .warm_imports import preload_for_fan_outs
from .worker_process import spawn_workers

__all__ = ["main", "run_engine"]


def _apply_settings(settings: dict[str, object], target: object) -> None:
    for key, value in settings.items():
        target[key] = value  # type: ignore[index]


def run_engine(root: Path, resume: bool) -> str:
    payload = read_payload(root)
    _apply_settings(payload.config, config)
    _apply_settings(payload.s3_config, s3_config)
    table = TemplateTable(payload.entrypoint, payload.on_exit)
    # One more worker than CPUs (make -j N+1): a worker waiting on the engine between
    # steps leaves its CPU to the spare one, so the CPUs stay busy.
    size = payload.workers or (os.cpu_count() or 1) + 1
    preload_for_fan_outs(table.by_name, str(root))
    handles = spawn_workers(size, dict(table.by_name))
    from .scheduler import schedule  # after the fork: see the module docstring

    return schedule(root, payload, table, handles, resume)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    resume = "--resume" in args
    paths = [a for a in args if not a.startswith("--")]
    if len(paths) != 1:
        print("usage: python -m dflow_like.engine.local WORKFLOW_DIR [--resume]", file=sys.stderr)
        return 2
    phase = run_engine(Path(paths[0]), resume)
    return 0 if phase == "Succeeded" else 1
