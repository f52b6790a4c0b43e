"""The engine's main loop: the state store, the scheduler and the worker pool, on asyncio."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..._config import config, s3_config
from ...graph.collect import TemplateTable
from .failures import failure_message
from .global_outputs import global_outputs
from .leaf import LeafRunner
from .payload import Payload
from .scheduler import Scheduler
from .state_store import StateStore
from .stop import StopRequest
from .worker_process import WorkerHandle
from .workers import WorkerPool
from .workspace import Workspace

if TYPE_CHECKING:
    from ...cache.steps import StepCache

__all__ = ["run_workflow"]


async def _run(scheduler: Scheduler, store: StateStore, stop: StopRequest) -> str:
    loop = asyncio.get_running_loop()
    store.call_later = loop.call_later  # group node writes into one commit per interval
    task = asyncio.ensure_future(scheduler.run())
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    if stop.requested or _terminated(store):  # asked while the engine started: stop as asked
        task.cancel()
    try:
        root = await task
    except asyncio.CancelledError:
        return "Failed"
    finally:
        store.call_later = None
    return root.phase


def run_workflow(
    root: Path,
    payload: Payload,
    table: TemplateTable,
    handles: list[WorkerHandle],
    resume: bool,
    stop: StopRequest,
    early: dict[str, WorkerHandle] | None = None,
) -> str:
    """Run the workflow to its end on the already forked workers; return its phase.

    ``terminate`` in the state is the launcher's to clear (``LocalBackend._start``, before
    it starts this engine): a request that came while the engine started stands."""
    pool = WorkerPool(dict(table.by_name), handles, early)
    workspace = Workspace(root.parent.parent, payload.wf_id)
    store = StateStore(workspace.db_path)
    previous = {rec.id: rec for rec in store.nodes()} if resume else {}
    store.update_workflow(
        phase="Running", engine_pid=os.getpid(), started=_first_start(store, resume), finished=None, message=""
    )  # fmt: skip
    use_s3 = bool(config["debug_s3"])
    prefix = str(s3_config["prefix"] or "")
    leaves = LeafRunner(
        workspace, payload.wf_id, store.save_node, pool, "s3" if use_s3 else "local", prefix, dict(previous)
    )
    leaves.flush = store.commit
    scheduler = Scheduler(
        payload.wf_id,
        table,
        store,
        leaves,
        len(handles),
        payload.parameters,
        payload.parallelism,
        payload.reuse,
        previous,
        cache=_step_cache(payload.cache, "s3" if use_s3 else "local"),
    )
    try:
        phase = asyncio.run(_run(scheduler, store, stop))
        message = "terminated" if phase == "Failed" and _terminated(store) else ""
        records = store.nodes()
        if phase != "Succeeded" and not message:
            message = failure_message(records)
        outputs = global_outputs(records, table)
        store.update_workflow(phase=phase, finished=time.time(), message=message, outputs=outputs)
    finally:
        # Also when the engine raises: commit what the steps wrote and release the write lock,
        # so the caller's handler can record the failure through a connection of its own.
        store.close()
        pool.close()  # reaped here: orphaned, they would be zombies of a script running as a container's pid 1
    return phase


def _step_cache(digests: dict[str, str] | None, storage: str) -> StepCache | None:
    """The run's step cache, if a template caches (its modules are imported only then)."""
    if not digests:
        return None
    from ...cache.steps import StepCache

    return StepCache(digests, storage)


def _first_start(store: StateStore, resume: bool) -> float:
    """When the run first started: a resume or retry keeps it (and clears ``finished``).

    A run's duration is then from its first start to its latest finish, the time until its
    results were whole, and ``started + duration`` is when it finished. Restarting the
    clock, as Argo's retry resets ``status.startedAt`` (``createNewRetryWorkflow`` in
    argo-workflows ``workflow/util/util.go``), made a retried run read as lasting only the
    retry ("0.0 s" after re-running one quick step); and with the old ``finished`` kept
    while the retry ran, the dashboard showed a negative duration.
    """
    row = store.workflow_row() if resume else None
    started = row.get("started") if row else None
    return float(started) if started is not None else time.time()


def _terminated(store: StateStore) -> bool:
    row = store.workflow_row()
    return bool(row and row.get("terminate"))
