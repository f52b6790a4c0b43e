"""The engine process of one local run: ``python -m dflow_like.engine.local ROOT [--resume]``,
or ``main`` in a copy of the submitting process forked for it (``fork_start``).

Start-up order matters for speed: load the workflow, fork the warm workers, and only
then import the scheduler (asyncio, SQLite, the scheduler), which the workers
never need and so never copy on every fork (see ``worker_process``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..._config import config, s3_config
from ..._credentials import apply_credentials, read_credentials
from ...graph.collect import TemplateTable
from .payload import Payload, read_payload
from .prefetch import early_plan
from .stop import StopRequest
from .warm_imports import fan_out_templates, preload_for_fan_outs, skip_preload_after_death
from .worker_process import WorkerHandle, end_worker, send_frame, spawn_worker, spawn_workers

__all__ = ["main", "run_engine"]


def _apply_settings(settings: dict[str, object], target: object) -> None:
    for key, value in settings.items():
        target[key] = value  # type: ignore[index]


def _load(root: Path) -> tuple[Payload, TemplateTable]:
    credentials = read_credentials(0)  # sent down stdin by the submitting process: never on disk
    payload = read_payload(root, credentials)
    _apply_settings(payload.config, config)
    _apply_settings(payload.s3_config, s3_config)
    apply_credentials(credentials)  # in memory only: workers and steps fork from here
    return payload, TemplateTable(payload.entrypoint, payload.on_exit)


def _record_failure(root: Path, exc: BaseException, what: str) -> None:
    """Leave the run ``Error`` with the cause, where ``query_message`` and the CLI show it.

    The traceback goes to ``engine.log`` (this process's stderr); the message names the
    exception and, for a module the engine cannot import, where it looked.
    """
    import time
    import traceback

    from .state_store import StateStore
    from .workspace import Workspace

    traceback.print_exc()
    cause = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ModuleNotFoundError):
        cause += f" (the engine's sys.path starts with {sys.path[:3]})"
    workspace = Workspace(root.parent.parent, root.name)
    store = StateStore(workspace.db_path)
    try:
        message = f"{what}: {cause}; traceback in {workspace.engine_log}"
        store.update_workflow(phase="Error", finished=time.time(), message=message)
    finally:
        store.close()


def run_engine(root: Path, resume: bool, stop: StopRequest) -> str:
    try:
        payload, table = _load(root)
    except Exception as exc:  # an import error, an object that does not unpickle, ...
        _record_failure(root, exc, "the engine could not load the workflow")
        return "Error"
    # One more worker than CPUs (make -j N+1): a worker waiting on the engine between
    # steps leaves its CPU to the spare one, so the CPUs stay busy.
    size = payload.workers or (os.cpu_count() or 1) + 1
    templates = dict(table.by_name)
    skip_preload_after_death(root)
    fan_outs = fan_out_templates(templates)
    # Workers that import a later template's modules on the idle CPUs while this process
    # imports what the fan-outs need (``prefetch.early_plan``); the rest fork after it.
    early: dict[str, WorkerHandle] = {}
    for name in early_plan(templates, fan_outs, min((os.cpu_count() or 1) - 1, size - 2)):
        early[name] = spawn_worker(templates, list(early.values()))
        send_frame(early[name].requests, ("prefetch", name))

    def end_early() -> None:  # the engine restarts without its preload: these go with it
        for handle in early.values():
            end_worker(handle)

    preload_for_fan_outs(templates, str(root), before_restart=end_early)
    handles = [*early.values(), *spawn_workers(size - len(early), templates, list(early.values()))]
    from .engine_loop import run_workflow  # after the fork: see the module docstring

    return run_workflow(root, payload, table, handles, resume, stop, early)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    resume = "--resume" in args
    paths = [a for a in args if not a.startswith("--")]
    if len(paths) != 1:
        print("usage: python -m dflow_like.engine.local WORKFLOW_DIR [--resume]", file=sys.stderr)
        return 2
    stop = StopRequest()
    stop.listen()  # before the workers fork: they and the steps start with it unblocked
    try:
        phase = run_engine(Path(paths[0]), resume, stop)
    except Exception as exc:  # a bug of the engine's own: say so where the user looks, then resume() can go on
        _record_failure(Path(paths[0]), exc, "the engine failed (Workflow(id).resume() goes on from here)")
        return 1
    return 0 if phase == "Succeeded" else 1
