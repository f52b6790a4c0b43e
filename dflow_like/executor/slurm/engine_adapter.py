"""The local engine's view of Slurm: run a step's runner as a job and wait for it.

One poller per executor asks Slurm about every tracked job at once (one ``squeue``
per tick). Items of one sliced step that start within the same moment are batched:
with ``DispatcherExecutor(array=True)`` into one array job (each task picks its
attempt directory from a list file by ``$SLURM_ARRAY_TASK_ID``), with a
``group_size`` (of the ``Slices`` or the executor) into jobs of that many items run
one after another, ``pool_size`` at once, by one process that imports the OP's modules
once and forks a child per item (``runner/packed.py``). Each item leaves an
``exit_code`` file, so items sharing a job still each get their own outcome.

Over SSH (``DispatcherExecutor(host=...)``) every job's attempt directories are copied to
the cluster and back (``transport.py``): the ``step.json`` a job reads names its attempt
directory on the cluster, so the runner works in the copy, and the local output paths in
``outputs.json`` are turned back into this machine's once the copy has come back. When the
cluster's copy is elsewhere (not a shared filesystem), the step's local-storage inputs go
with it (``inputs.py``).

``sbatch`` runs in a thread, never on the engine's loop. While the controller cannot be
reached (restarted, failed over, overloaded), a submission backs off and tries again
for up to ``OUTAGE_SECONDS``, and the step's message says it is waiting. Over SSH a lost
connection is retried by the transport (``transport.py``), in the threads that copy step
directories; its notes reach the step whose directory was being copied, through the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import json
import re
import shlex
import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...artifacts import ArtifactRef
from ...runner.contract import Outcome
from ...runner.namespace import main_namespace
from ...runner.packed import packed_command
from ...runner.remote_entry import write_template
from ...runner.spec import StepSpec
from ..dispatcher import DispatcherExecutor
from ..slurm_remote import SlurmRemoteExecutor
from .executor import SlurmError, SlurmExecutor, SlurmSubmitError, transport_for
from .inputs import STAGED_INPUTS, stage_inputs
from .states import JobState, JobStatus
from .transport import MAX_BACKOFF_SECONDS, OUTAGE_SECONDS, SshTransport

__all__ = ["SlurmStepExecutor"]

POLL_SECONDS = 0.25
ARRAY_GATHER_SECONDS = 0.05
# What sbatch says when the controller is down or busy (not when it refuses the job).
_UNREACHABLE = re.compile(
    r"Unable to contact slurm controller|Socket timed out|Connection refused|Zero Bytes were transmitted"
    r"|Communication connection failure|Slurm backup controller in standby|Resource temporarily unavailable",
    re.IGNORECASE,
)


def _outcome(status: JobStatus, job_id: str, timed_out: bool) -> Outcome:
    state = status.state
    if state is JobState.SUCCEEDED:
        return Outcome(0, reason=f"Slurm job {job_id}")
    if state is JobState.FAILED:
        return Outcome(status.exit_code if status.exit_code is not None else 1, reason=f"Slurm job {job_id}")
    if state is JobState.TIMEOUT:
        return Outcome(None, signal.SIGKILL, True, reason=f"Slurm job {job_id} hit its time limit")
    what = {
        JobState.OUT_OF_MEMORY: "ran out of memory (OUT_OF_MEMORY)",
        JobState.CANCELLED: "was cancelled",
        JobState.NODE_FAIL: "lost its node (NODE_FAIL)",
    }.get(state, f"ended {state.value}")
    detail = f": {status.reason}" if status.reason else ""
    return Outcome(None, signal.SIGKILL, timed_out, reason=f"Slurm job {job_id} {what}{detail}")


class SlurmStepExecutor:
    """``StepExecutor`` for steps with ``executor=DispatcherExecutor(...)``."""

    def __init__(self, spec: DispatcherExecutor, workspace: Any) -> None:
        if not isinstance(spec, DispatcherExecutor):  # validation refuses these at submit; a resumed old run may not
            problem = getattr(spec, "definition_problem", None)
            raise TypeError(problem() if callable(problem) else f"executor={type(spec).__name__} is not supported")
        self.spec = spec
        root, run = getattr(workspace, "root", None), getattr(workspace, "id", None)
        self.slurm = SlurmExecutor(spec, transport_for(spec, root and str(root), run and str(run)))
        self.poll_seconds = float(spec.interval) if isinstance(spec, SlurmRemoteExecutor) else POLL_SECONDS
        self.workspace = workspace
        self.waiting: dict[str, asyncio.Future[JobStatus]] = {}
        self._poller: asyncio.Task[None] | None = None
        self._batches: dict[str, list[tuple[StepSpec, asyncio.Future[str]]]] = {}
        self.on_submit: Callable[[StepSpec, str], None] | None = None  # the engine records job ids
        self.on_wait: Callable[[StepSpec, str], None] | None = None  # and shows why a step waits
        self.outage_seconds = OUTAGE_SECONDS
        self._flushes: set[asyncio.Task[None]] = set()
        self._steps: dict[str, StepSpec] = {}  # attempt directory → its step, for the transport's notes
        self._loop: asyncio.AbstractEventLoop | None = None
        if isinstance(self.slurm.transport, SshTransport):
            self.slurm.transport.on_retry = self._on_retry

    def _on_retry(self, local_dir: str | None, note: str) -> None:
        """The transport retries a copy (in a worker thread): show it on that step, from the loop."""
        spec = self._steps.get(local_dir) if local_dir else None
        if spec is None or self.on_wait is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self.on_wait, spec, note)

    # --- submission --------------------------------------------------------------------
    def _prepare(self, spec: StepSpec, template: Any) -> Path:
        attempt = Path(spec.attempt_dir)
        spec.workdir.mkdir(parents=True, exist_ok=True)
        there = self.slurm.transport.remote_path(spec.attempt_dir)
        artifacts = spec.artifacts
        if there != spec.attempt_dir:  # not a shared filesystem: the job cannot open local storage
            artifacts = stage_inputs(attempt, artifacts, self.slurm.transport.remote_path)
        (attempt / "step.json").write_text(dataclasses.replace(spec, attempt_dir=there, artifacts=artifacts).to_json())
        write_template(attempt, template, main_namespace())
        return attempt

    def _command(self, attempt: str) -> list[str]:
        return [*self.slurm.runner(), "--log", f"{attempt}/log.txt", attempt]

    def _group_size(self, spec: StepSpec) -> int:
        return int(spec.extra.get("group_size") or self.spec.group_size or 1)

    async def _sbatch(self, specs: list[StepSpec], submit: Callable[[], str]) -> str:
        """``submit()`` in a thread; while the controller is unreachable, back off and retry."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.outage_seconds
        delay = 1.0
        while True:
            try:
                return await asyncio.to_thread(submit)
            except SlurmSubmitError as exc:
                if not _UNREACHABLE.search(str(exc)) or loop.time() + delay > deadline:
                    raise
                left = deadline - loop.time()
                note = f"waiting for the Slurm controller ({exc}); trying again in {delay:.0f} s, for {left:.0f} s more"
                for spec in specs:
                    if self.on_wait is not None:
                        self.on_wait(spec, note)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)

    def _flush_later(self, flush: Callable[[str], Any], group: str) -> None:
        task = asyncio.ensure_future(flush(group))
        self._flushes.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._flushes.discard)

    async def _submit(self, spec: StepSpec, log_path: str) -> str:
        group = spec.extra.get("group")
        if not group or not (self.spec.array or self._group_size(spec) > 1):
            command = self._command(spec.attempt_dir)
            return await self._sbatch(
                [spec], lambda: self.slurm.submit(command, spec.attempt_dir, spec.step_name, log_path)
            )
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        batch = self._batches.setdefault(group, [])
        batch.append((spec, future))
        if len(batch) == 1:
            flush = self._submit_array if self.spec.array else self._submit_groups
            asyncio.get_running_loop().call_later(ARRAY_GATHER_SECONDS, self._flush_later, flush, group)
        return await future

    async def _submit_groups(self, group: str) -> None:
        batch = self._batches.pop(group)
        size = self._group_size(batch[0][0])
        pool = int(batch[0][0].extra.get("pool_size") or 1)
        for start in range(0, len(batch), size):
            chunk = batch[start : start + size]
            attempts = [spec.attempt_dir for spec, _ in chunk]
            command = packed_command(self.slurm.python(), attempts, pool)
            first = Path(attempts[0])
            submit = functools.partial(
                self.slurm.submit,
                command,
                str(first),
                chunk[0][0].step_name,
                str(first / "group.log"),
                also=attempts[1:],
            )
            await self._settle(chunk, submit, lambda job, _: job)  # the items share one job

    async def _submit_array(self, group: str) -> None:
        batch = self._batches.pop(group)
        attempts = [spec.attempt_dir for spec, _ in batch]
        there = self.slurm.transport.remote_path
        first = Path(attempts[0])
        listing = first / "array.txt"  # where the job runs: task N's attempt directory is line N+1
        listing.write_text("".join(f"{there(attempt)}\n" for attempt in attempts))
        pick = f'"$(sed -n "$((SLURM_ARRAY_TASK_ID+1))p" {shlex.quote(there(str(listing)))})"'
        command = ["sh", "-c", f'd={pick}; exec {shlex.join(self.slurm.runner())} --log "$d/log.txt" "$d"']
        submit = functools.partial(
            self.slurm.submit,
            command,
            str(first),
            batch[0][0].step_name,
            str(first / "array.log"),
            len(batch),
            also=attempts[1:],
        )
        await self._settle(batch, submit, lambda job, index: f"{job}_{index}")  # task N of the array

    async def _settle(
        self,
        batch: list[tuple[StepSpec, asyncio.Future[str]]],
        submit: Callable[[], str],
        job_of: Callable[[str, int], str],
    ) -> None:
        """Submit ``batch``'s one job and give each of its steps its job id (``job_of``), or the error."""
        try:
            job = await self._sbatch([spec for spec, _ in batch], submit)
        except Exception as exc:
            for _, future in batch:
                if not future.done():  # a step cancelled (terminate) while we waited
                    future.set_exception(exc)
            return
        for index, (_, future) in enumerate(batch):
            if not future.done():
                future.set_result(job_of(job, index))

    # --- waiting -----------------------------------------------------------------------
    async def _poll_forever(self) -> None:
        while self.waiting:
            await asyncio.sleep(self.poll_seconds)
            statuses = await asyncio.to_thread(self.slurm.poll, list(self.waiting))
            for job_id, status in statuses.items():
                future = self.waiting.get(job_id)
                if future is not None and status.state.finished and not future.done():
                    future.set_result(status)
                    del self.waiting[job_id]
        self._poller = None

    def _watch(self, job_id: str) -> asyncio.Future[JobStatus]:
        if job_id in self.waiting:  # items sharing a job share its end
            return self.waiting[job_id]
        future: asyncio.Future[JobStatus] = asyncio.get_running_loop().create_future()
        self.waiting[job_id] = future
        if self._poller is None:
            self._poller = asyncio.ensure_future(self._poll_forever())
        return future

    async def _cancel_until_done(self, job_id: str, finished: asyncio.Future[JobStatus]) -> JobStatus:
        """``scancel`` in a thread, again with backoff while the controller cannot take it."""
        delay = 1.0
        while not finished.done():
            try:
                await asyncio.to_thread(self.slurm.cancel, job_id)
                break
            except SlurmError:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(finished), delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
        return await finished

    async def wait_job(self, job_id: str, timeout: float | None, attempt: str | None = None) -> Outcome:
        finished = self._watch(job_id)
        try:
            status = await asyncio.wait_for(asyncio.shield(finished), timeout)
        except asyncio.TimeoutError:
            status = await self._cancel_until_done(job_id, finished)
            return _outcome(status, job_id, timed_out=True)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                self.slurm.cancel(job_id)
            raise
        lost = self.slurm.fetch_errors.get(job_id) or self.slurm.fetch_errors.get(job_id.split("_", 1)[0])
        if lost:
            return Outcome(None, reason=f"Slurm job {job_id} ended, but its results did not come back: {lost}")
        if attempt and self.slurm.spec.is_remote:
            _localize_outputs(Path(attempt), self.slurm.transport.remote_path(attempt))
            shutil.rmtree(Path(attempt, STAGED_INPUTS), ignore_errors=True)  # the job is over: the cluster had them
        code_file = Path(attempt, "exit_code") if attempt else None
        if code_file is not None and code_file.exists() and status.state in (JobState.SUCCEEDED, JobState.FAILED):
            return Outcome(int(code_file.read_text()), reason=f"Slurm job {job_id}")
        return _outcome(status, job_id, timed_out=False)

    async def run(self, spec: StepSpec, template: Any, log_path: str, timeout: float | None) -> Outcome:
        self._loop = asyncio.get_running_loop()
        self._prepare(spec, template)
        self._steps[spec.attempt_dir] = spec
        try:
            job_id = await self._submit(spec, log_path)
            if self.on_submit is not None:
                self.on_submit(spec, job_id)
            return await self.wait_job(job_id, timeout, spec.attempt_dir)
        finally:
            self._steps.pop(spec.attempt_dir, None)

    async def attach(self, job_id: str, timeout: float | None, attempt: str | None = None) -> Outcome:
        """Resume: wait for a job a previous engine submitted instead of submitting again."""
        return await self.wait_job(job_id, timeout, attempt)


def _localize_outputs(attempt: Path, there: str) -> None:
    """Point ``outputs.json``'s local artifacts at ``attempt`` instead of its cluster copy ``there``."""
    path = attempt / "outputs.json"
    if there == str(attempt) or not path.exists():
        return
    data = json.loads(path.read_text())

    def here(ref: ArtifactRef) -> ArtifactRef:
        parts = []
        for part in ref.parts:
            key = part.tree.key
            if part.tree.storage == "local" and (key == there or key.startswith(there + "/")):
                part = dataclasses.replace(
                    part, tree=dataclasses.replace(part.tree, key=str(attempt) + key[len(there) :])
                )
            parts.append(part)
        return dataclasses.replace(ref, parts=tuple(parts))

    data["artifacts"] = {n: here(ArtifactRef.from_json(a)).to_json() for n, a in data["artifacts"].items()}
    path.write_text(json.dumps(data, separators=(",", ":")))
