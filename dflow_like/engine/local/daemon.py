"""The engine process of one local run: ``python -m dflow_like.engine.local ROOT [--resume]``."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from ..._config import config, s3_config
from ...graph.collect import TemplateTable
from .interpreter import Interpreter
from .leaf import LeafRunner
from .payload import read_payload
from .state_store import StateStore
from .workers import WorkerPool
from .workspace import Workspace

__all__ = ["main", "run_engine"]


def _apply_settings(settings: dict[str, object], target: object) -> None:
    for key, value in settings.items():
        target[key] = value  # type: ignore[index]


async def _run(interpreter: Interpreter) -> str:
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(interpreter.run())
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    try:
        root = await task
    except asyncio.CancelledError:
        return "Failed"
    return root.phase


def run_engine(root: Path, resume: bool) -> str:
    payload = read_payload(root)
    _apply_settings(payload.config, config)
    _apply_settings(payload.s3_config, s3_config)
    workspace = Workspace(root.parent.parent, payload.wf_id)
    table = TemplateTable(payload.entrypoint, payload.on_exit)
    workers = payload.workers or os.cpu_count() or 1
    pool = WorkerPool(workers, dict(table.by_name))  # forked before any database is open
    store = StateStore(workspace.db_path)
    previous = {rec.id: rec for rec in store.nodes()} if resume else {}
    store.update_workflow(phase="Running", engine_pid=os.getpid(), started=time.time(), message="", terminate=0)
    use_s3 = bool(config["debug_s3"])
    prefix = str(s3_config["prefix"] or "")
    leaves = LeafRunner(
        workspace, payload.wf_id, store.save_node, pool, "s3" if use_s3 else "local", prefix, dict(previous)
    )
    interpreter = Interpreter(
        payload.wf_id,
        table,
        store,
        leaves,
        workers,
        payload.parameters,
        payload.parallelism,
        payload.reuse,
        previous,
    )
    try:
        phase = asyncio.run(_run(interpreter))
        message = "terminated" if phase == "Failed" and _terminated(store) else ""
        store.update_workflow(phase=phase, finished=time.time(), message=message)
        store.close()
    finally:
        pool.close()
    return phase


def _terminated(store: StateStore) -> bool:
    row = store.workflow_row()
    return bool(row and row.get("terminate"))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    resume = "--resume" in args
    paths = [a for a in args if not a.startswith("--")]
    if len(paths) != 1:
        print("usage: python -m dflow_like.engine.local WORKFLOW_DIR [--resume]", file=sys.stderr)
        return 2
    phase = run_engine(Path(paths[0]), resume)
    return 0 if phase == "Succeeded" else 1
