"""The user-side half of the local engine: start a run's engine process, read its state."""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import site
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..._config import config, home_dir, s3_config
from ..._credentials import CREDENTIAL_ENV, CredentialError, known_credentials, write_credentials
from ..._run_summary import RunListing
from ...artifacts import ArtifactRef
from ...records import StepRecord
from ...runner.namespace import main_namespace
from ..backend import FINAL_PHASES as FINAL
from ..backend import GlobalOutputs, UnsupportedOperation, new_run_id
from ..step_filter import StepFilter
from .orphans import mark_orphaned
from .payload import Payload, public_settings, write_payload
from .progress import fill_progress
from .sql_filter import register_functions, sql_where
from .state_store import StateStore
from .warm_imports import preload_died
from .workspace import Workspace

if TYPE_CHECKING:
    from ...workflow import Workflow

__all__ = ["LocalBackend"]


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


def _code_digests(workflow: Workflow) -> dict[str, str]:
    """The code part of cache keys, taken here where the user's sources are (``dflow_like.cache``)."""
    from ...graph.collect import TemplateTable
    from ...graph.template import caches

    table = TemplateTable(workflow.entrypoint, workflow.on_exit)
    if not any(caches(template, workflow.cache) for _, template in table):
        return {}  # nothing caches: the cache's modules (~10 ms of imports) stay out of the submit
    from ...cache.steps import code_digests

    return code_digests(table, workflow.cache)


class LocalBackend:
    """Starts engine processes and answers queries from their SQLite state (a ``Backend``)."""

    engine = "local"

    def __init__(self, home: Path | None = None) -> None:
        self.home = home or home_dir()
        self._children: set[int] = set()

    def workspace(self, wf_id: str) -> Workspace:
        return Workspace(self.home, wf_id)

    # --- running -------------------------------------------------------------------------
    def submit(self, workflow: Workflow, reuse: list[StepRecord]) -> str:
        name, entrypoint = workflow.name, workflow.entrypoint
        wf_id = new_run_id(name)
        ws = self.workspace(wf_id)
        ws.create()
        payload = Payload(
            wf_id=wf_id, name=name, entrypoint=entrypoint, parameters=dict(workflow.parameters),
            parallelism=workflow.parallelism, reuse=list(reuse), namespace=main_namespace(),
            workers=int(config["workers"] or 0), config=public_settings(config.snapshot()),
            s3_config=public_settings(s3_config.snapshot()), on_exit=workflow.on_exit, cache=_code_digests(workflow),
        )  # fmt: skip
        try:
            write_payload(ws.root, payload, known_credentials())
        except CredentialError:  # says which credential and where: nothing to add
            shutil.rmtree(ws.root, ignore_errors=True)
            raise
        except Exception as exc:  # cloudpickle's own message names the object, not where it sits
            shutil.rmtree(ws.root, ignore_errors=True)
            raise TypeError(
                f"workflow {name!r} cannot be sent to its engine process: {type(exc).__name__}: {exc} "
                "(an OP, a function or a value it refers to holds something that does not pickle, "
                "such as an open file, a lock or a connection: create it inside execute instead)"
            ) from exc
        from ...view.plan import save_plan  # the graph any process can draw (view/plan.py)

        save_plan(ws.root, entrypoint, name, workflow.on_exit)
        StateStore.create(ws.db_path, wf_id, name, time.time(), owner_pid=os.getpid())
        self._start(ws, resume=False)
        return wf_id

    def _engine_env(self) -> dict[str, str]:
        env = dict(os.environ)
        package_parent = str(Path(__file__).resolve().parents[3])
        if package_parent not in (*site.getsitepackages(), site.getusersitepackages()):
            # dflow_like used from a source tree without being installed: let the engine find it
            env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
        for name in CREDENTIAL_ENV:  # credentials go down a pipe, not into any environment
            env.pop(name, None)
        return env

    def _start(self, ws: Workspace, resume: bool) -> None:
        """Start the engine in a session of its own: it outlives this process.

        The engine waits for its credentials (its stdin) before it does anything, and
        they are sent only once its pid is recorded: the run's state never goes back
        from what the engine wrote to ``Pending``.
        """
        store = StateStore(ws.db_path)
        store.update_workflow(terminate=0)  # an earlier run's request; one from now on stands
        store.close()
        credentials_in, credentials_out = os.pipe()  # the engine's stdin: its credentials
        try:
            pid = self._launch(ws, resume, credentials_in)
        except (OSError, ValueError) as exc:  # else the run would stay Pending on this (live) process's pid
            store = StateStore(ws.db_path)
            store.update_workflow(phase="Error", message=f"cannot start the engine: {exc}")
            store.close()
            os.close(credentials_out)
            raise
        finally:
            os.close(credentials_in)
        self._children.add(pid)
        try:
            store = StateStore(ws.db_path)
            if resume:  # the run's clock runs again from its first start (``engine_loop._first_start``)
                store.update_workflow(engine_pid=pid, phase="Running", finished=None)
            else:
                store.update_workflow(engine_pid=pid, phase="Pending")
            store.close()
        finally:  # whatever happened here, the engine must not wait for them forever
            write_credentials(credentials_out, known_credentials())

    def _launch(self, ws: Workspace, resume: bool, credentials_in: int) -> int:
        """Fork the engine from this process when that is safe (``fork_start``), else spawn it."""
        from ...view.plan import planned_steps, read_plan
        from .fork_start import fork_engine, why_not_fork

        plan = read_plan(ws.root)
        reason = why_not_fork(planned_steps(plan) if plan is not None else None)
        if not reason:
            from .daemon import main as engine_main  # imported here once, not in every engine

            args = [str(ws.root), *(["--resume"] if resume else [])]
            return fork_engine(args, ws.engine_log, credentials_in, self._engine_env(), engine_main)
        with open(ws.engine_log, "a", opener=lambda path, flags: os.open(path, flags, 0o600)) as log:
            log.write(f"engine: a new interpreter, not forked from the caller: {reason}\n")
        return self._spawn(ws, resume, credentials_in)

    def _spawn(self, ws: Workspace, resume: bool, credentials_in: int) -> int:
        """Spawn the engine as a new interpreter, in a session of its own.

        It starts in its workflow directory: ``python -m`` puts the current directory
        first on ``sys.path``, and the caller's (say, a source checkout) must not shadow
        the installed package. The shell only changes directory and ``exec``s Python.
        """
        launch = 'cd "$1" && exec "$2" -m dflow_like.engine.local "$1" $3'
        args = ["sh", "-c", launch, "sh", str(ws.root), sys.executable, "--resume" if resume else ""]
        actions = [
            (os.POSIX_SPAWN_DUP2, credentials_in, 0),
            (
                os.POSIX_SPAWN_OPEN,
                1,
                str(ws.engine_log),
                os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                0o600,
            ),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ]
        return os.posix_spawn(  # SIGTERM blocked until the engine listens for it (``stop.StopRequest``)
            "/bin/sh", args, self._engine_env(), file_actions=actions, setsid=True, setsigmask=[signal.SIGTERM]
        )

    def resume(self, wf_id: str) -> None:
        ws = self._existing(wf_id)
        row = self._row(wf_id)
        if _alive(row.get("engine_pid")):
            raise RuntimeError(f"workflow {wf_id!r} is still running (engine pid {row['engine_pid']})")
        if row["phase"] == "Succeeded":
            return
        self._start(ws, resume=True)

    def retry(self, wf_id: str, step: str | None = None) -> None:
        """Re-run the failed and errored steps of a finished run, keeping the succeeded ones
        (``resume``); with ``step``, that step (even if it succeeded) and what depends on it."""
        phase, _ = self.status(wf_id)
        if step is None:
            if phase not in ("Failed", "Error"):
                raise RuntimeError(
                    f"workflow {wf_id!r} is {phase}: only a Failed or Error run can be retried{self._tolerated(wf_id)}"
                )
            self.resume(wf_id)
            return
        from .retry import mark_for_retry

        ws = self._existing(wf_id)
        pid = self._row(wf_id).get("engine_pid")
        if phase not in FINAL or _alive(pid):
            raise RuntimeError(f"workflow {wf_id!r} is still running (engine pid {pid}): retry it once it ends")
        store = StateStore(ws.db_path)
        try:
            mark_for_retry(store, wf_id, step)
        finally:
            store.close()
        self._start(ws, resume=True)

    def _tolerated(self, wf_id: str) -> str:
        """Failed steps a Succeeded run tolerated (``continue_on_*``), and how to re-run one."""
        failed = [r.name for r in self.records(wf_id) if r.type == "Pod" and r.phase in ("Failed", "Error")]
        if not failed:
            return ""
        shown = ", ".join(failed[:5]) + (f" and {len(failed) - 5} more" if len(failed) > 5 else "")
        return (
            f"; it tolerated failed steps ({shown}): retry(step=NAME), or `dflow-like retry {wf_id} NAME`, "
            "re-runs one and what depends on it"
        )

    def resubmit(self, wf_id: str) -> str:
        raise UnsupportedOperation(
            self.engine,
            f"resubmit() workflow {wf_id!r}",
            "resubmit() is an Argo server call; the local engine runs a workflow again when you submit() "
            "a new Workflow (or resume() this one)",
        )

    def delete(self, wf_id: str) -> None:
        """Remove a finished run's directory (state, logs, step files); a running one is refused."""
        ws = self._existing(wf_id)
        phase, _ = self.status(wf_id)
        pid = self._row(wf_id).get("engine_pid")
        deadline = time.monotonic() + 5.0  # an ended engine exits right after writing its phase
        while phase in FINAL and self._engine_running(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        if phase not in FINAL or self._engine_running(pid):
            raise RuntimeError(f"workflow {wf_id!r} is still {phase} (engine pid {pid}); terminate() it first")
        shutil.rmtree(ws.root)

    def terminate(self, wf_id: str) -> None:
        row = self._row(wf_id)
        store = StateStore(self._existing(wf_id).db_path)
        store.update_workflow(terminate=1)
        store.close()
        pid = row.get("engine_pid")
        if _alive(pid):
            os.kill(int(pid or 0), signal.SIGTERM)

    # --- reading -------------------------------------------------------------------------
    def _existing(self, wf_id: str) -> Workspace:
        ws = self.workspace(wf_id)
        if not ws.exists():
            raise KeyError(f"no local workflow {wf_id!r} under {self.home / 'workflows'}")
        return ws

    def _reader(self, wf_id: str) -> StateStore:
        return StateStore(self._existing(wf_id).db_path, readonly=True)

    def _row(self, wf_id: str) -> dict[str, Any]:
        store = self._reader(wf_id)
        try:
            row = store.workflow_row()
        finally:
            store.close()
        if row is None:
            raise KeyError(f"workflow {wf_id!r} has no state yet")
        return row

    def _engine_running(self, pid: int | None) -> bool:
        """Whether the engine process is still running (reaping it if we started it)."""
        if pid in self._children:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self._children.discard(pid)
                return False
            return True
        return _alive(pid)

    def _join(self, pid: int | None, timeout: float = 5.0) -> None:
        """Reap a finished engine we started (it exits right after writing its final phase)."""
        if pid not in self._children:
            return
        deadline = time.monotonic() + timeout
        while self._engine_running(pid) and time.monotonic() < deadline:
            time.sleep(0.002)

    def status(self, wf_id: str) -> tuple[str, str]:
        """The run's phase; ``Error`` only when the process that owns it is gone.

        A run being submitted is owned by the submitting process until its engine's pid
        is recorded; a dead owner is read twice (the run may have finished, or changed
        owner, between the reads) before it counts.
        """
        checked: object = None
        while True:
            row = self._row(wf_id)
            if row["phase"] in FINAL or self._engine_running(row.get("engine_pid")):
                return row["phase"], row.get("message") or ""
            if row.get("engine_pid") == checked:
                break
            checked = row.get("engine_pid")
        ended_in = preload_died(self.workspace(wf_id).root)
        how = (
            f" (it ended importing {ended_in}, which a sliced step's execute imports, once for all its workers:"
            " the import ends the process; resumed, the engine imports nothing ahead and each step imports it)"
            if ended_in
            else ""
        )
        return (
            "Error",
            f"engine process {row.get('engine_pid')} is gone{how}; `dflow-like resume {wf_id}` "
            f"(or Workflow(id={wf_id!r}).resume()) finishes the run",
        )

    def wait(self, wf_id: str, timeout: float | None = None) -> str:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.01
        with _ExitWatch(self._row(wf_id).get("engine_pid")) as engine_exit:
            while True:
                phase, _ = self.status(wf_id)
                if phase in FINAL:
                    self._join(self._row(wf_id).get("engine_pid"))
                    return phase
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"workflow {wf_id!r} still {phase} after {timeout} s")
                engine_exit.sleep(delay)
                delay = min(delay * 1.5, 0.05)  # a state read costs ~0.1 ms; finishing late costs more

    def records(self, wf_id: str, where: StepFilter | None = None) -> list[StepRecord]:
        """The nodes ``where`` selects, selected by SQLite (``sql_filter.py``): a query for one
        step of a 100k-step run reads one row."""
        store = self._reader(wf_id)
        try:
            register_functions(store.db)
            records = store.nodes(*sql_where(where or StepFilter()))
        finally:
            store.close()
        fill_progress(records)
        if any(r.phase == "Running" for r in records) and self.engine_gone(wf_id):
            mark_orphaned(records)
        return records

    def engine_gone(self, wf_id: str) -> bool:
        """The run is unfinished in its state but no process owns it (``status`` says Error)."""
        phase, _ = self.status(wf_id)
        return phase == "Error" and self._row(wf_id)["phase"] not in FINAL

    def global_outputs(self, wf_id: str) -> GlobalOutputs:
        """``{"parameters": {name: wire value}, "artifacts": {name: ArtifactRef}}``, as on Argo."""
        text = self._row(wf_id).get("outputs")
        data = json.loads(text) if text else {}
        return {
            "parameters": dict(data.get("parameters") or {}),
            "artifacts": {n: ArtifactRef.from_json(a) for n, a in (data.get("artifacts") or {}).items()},
        }

    def list_ids(self) -> list[str]:
        return Workspace.all_ids(self.home)

    def summaries(self) -> list[RunListing]:
        """Each run's phase, start, finish and step count: a few rows per run, none of its steps."""
        out: list[RunListing] = []
        for wf_id in self.list_ids():
            try:
                store = self._reader(wf_id)
                try:
                    row = store.workflow_row()
                    steps, root_start = store.step_summary()
                finally:
                    store.close()
                phase = self.status(wf_id)[0] if row is not None else "Pending"
            except KeyError:  # deleted since it was listed
                continue
            row = row or {}
            started = root_start if root_start is not None else row.get("started")
            out.append(RunListing(wf_id, phase, started, row.get("finished"), steps))
        return out


class _ExitWatch:
    """Sleeps that end early when the engine process exits (a pidfd, Linux 5.3+).

    The engine writes its final phase and then exits, so ``wait`` returns as soon as
    the run ends instead of up to one polling interval later. Elsewhere, plain sleeps.
    """

    def __init__(self, pid: int | None) -> None:
        self.fd: int | None = None
        if pid and hasattr(os, "pidfd_open"):
            with contextlib.suppress(OSError):
                self.fd = os.pidfd_open(int(pid))

    def sleep(self, seconds: float) -> None:
        if self.fd is None:
            time.sleep(seconds)
            return
        readable, _, _ = select.select([self.fd], [], [], seconds)
        if readable:  # exited: later sleeps are plain ones (the caller reads the final phase)
            self.close()

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> _ExitWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
