"""Run a leaf step's attempts: build its spec, run the runner, classify, retry."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..._values import type_name_of
from ...artifacts import ArtifactRef
from ...graph.io import PVC
from ...graph.step import Step
from ...graph.template import OPTemplate
from ...python.opio import Artifact, field_kind
from ...python.template import PythonOPTemplate
from ...records import IORecord, ParameterRecord, StepRecord
from ...runner import codes
from ...runner.limits import MEMORY_KEY, parse_memory
from ...runner.spec import StepSpec
from . import cgroups
from .processes import Outcome
from .progress import final_progress
from .workers import WorkerPool
from .workspace import Workspace

__all__ = ["LeafRunner", "StepExecutor"]


class StepExecutor(Protocol):
    """Where a leaf runs: a forked local process (default) or a Slurm job."""

    async def run(self, spec: StepSpec, template: OPTemplate, log_path: str, timeout: float | None) -> Outcome: ...


class ForkExecutor:
    """A forked child per step, from the warm worker pool."""

    def __init__(self, pool: WorkerPool, names: dict[int, str]) -> None:
        self.pool = pool
        self.names = names

    async def run(self, spec: StepSpec, template: OPTemplate, log_path: str, timeout: float | None) -> Outcome:
        return await self.pool.run(spec, self.names[id(template)], log_path, timeout)


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return str(sig)


def _memory_note(memory: str | None, message: str, killed: bool, oom: bool) -> str:
    """Say "out of memory" only when it is known: the cgroup's OOM kill, or a ``MemoryError``."""
    if memory is None:
        return message
    if oom:
        return f"out of memory: the kernel's OOM killer ended the step at limits['memory'] = {memory!r} ({message})"
    if "MemoryError" in message:
        return f"out of memory: the step exceeded limits['memory'] = {memory!r} ({message})"
    if killed:
        return f"{message}; it ran under limits['memory'] = {memory!r}"
    return message


def classify(
    outcome: Outcome,
    attempt_dir: Path,
    timeout: float | None,
    as_transient: bool,
    memory: str | None = None,
    oom: bool = False,
) -> tuple[str, str, str]:
    """(phase, message, failure kind) where kind is "", "transient", "fatal", "failure" or "error".

    A step process killed by a signal ``N`` is ``Failed`` (a failure, which
    ``retry_on_failure`` retries), as Argo marks a node whose main container ended
    with exit code 128+N (``OOMKilled`` too): ``inferFailedReason`` in Argo's
    ``workflow/controller/operator.go`` returns ``NodeFailed`` for the main container,
    and ``processNodeRetries`` retries ``NodeFailed`` under ``OnFailure``. Our own
    machinery failing (a dead worker, a lost Slurm job) stays ``Error``, like Argo's
    wait container.
    """
    if outcome.timed_out:
        limit = f"after {timeout:g} s " if timeout is not None else ""
        detail = f"; {outcome.reason}" if outcome.reason else ""
        kind = "transient" if as_transient else "failure"
        return "Failed", f"timed out {limit}(process tree killed){detail}", kind
    if outcome.exit_code == codes.SUCCEEDED:
        if outcome.outputs is None and not (attempt_dir / "outputs.json").exists():
            # os._exit(0), or a library ending the process: Argo's wait container then finds no
            # output file and the node is an Error, not a success without outputs.
            return "Error", (
                "the step's process ended (exit code 0) before the runner wrote its outputs: os._exit() "
                f"or a library that ends the process; its log: {attempt_dir / 'log.txt'}"
            ), "error"  # fmt: skip
        return "Succeeded", "", ""
    error_file = attempt_dir / "error.txt"
    detail = error_file.read_text().strip() if error_file.exists() else ""
    if outcome.exit_code is None and outcome.reason:
        return "Error", outcome.reason, "error"
    if outcome.exit_code is None:
        number = outcome.signal or 0
        message = f"step process killed by signal {_signal_name(number)} (exit code {128 + number})"
        return "Failed", _memory_note(memory, message, killed=True, oom=oom), "failure"
    code = outcome.exit_code
    if code == codes.FATAL:
        return "Failed", detail or "FatalError", "fatal"
    if code == codes.TRANSIENT:
        return "Failed", detail or "TransientError", "transient"
    if code == codes.FAILED:
        return "Failed", _memory_note(memory, detail or "failed", killed=False, oom=oom), "failure"
    return "Error", detail or f"runner exited with code {code}; its log: {attempt_dir / 'log.txt'}", "error"


def _keep_inputs(spec: StepSpec) -> None:
    """A failed attempt keeps its inputs next to its log (succeeded ones have them in the state DB)."""
    with contextlib.suppress(OSError):
        Path(spec.attempt_dir).mkdir(parents=True, exist_ok=True)
        spec.write()


def _started_in(attempt_dir: Path) -> float | None:
    """When a runner started as its own process (a Slurm job) began: its ``started`` file."""
    try:
        return float((attempt_dir / "started").read_text())
    except (OSError, ValueError):
        return None


def _retryable(on: str, kind: str) -> bool:
    if kind in ("", "fatal"):
        return False
    if on == "transient":
        return kind == "transient"
    if on == "failure":
        return kind in ("failure", "transient")
    if on == "error":
        return kind == "error"
    return on == "failure_and_error"


def _output_types(template: OPTemplate) -> dict[str, str]:
    if isinstance(template, PythonOPTemplate):
        return {
            n: type_name_of(field_kind(s).type)
            for n, s in template.op_class.get_output_sign().items()
            if not isinstance(field_kind(s), Artifact)
        }
    return {n: type_name_of(p.type) for n, p in template.outputs.parameters.items()}


class LeafRunner:
    def __init__(
        self,
        workspace: Workspace,
        wf_id: str,
        save: Any,
        pool: WorkerPool,
        store: str = "local",
        store_prefix: str = "",
        previous: dict[str, StepRecord] | None = None,
    ) -> None:
        self.workspace = workspace
        self.previous = previous or {}  # a resumed run's records: jobs still running are re-attached
        self.wf_id = wf_id
        self.save = save
        self.store = store
        self.store_prefix = store_prefix
        self.local = ForkExecutor(pool, {id(t): name for name, t in pool.templates.items()})
        self.executors: dict[int, StepExecutor] = {}
        self._running: dict[str, StepRecord] = {}
        self.flush: Callable[[], None] | None = None  # commits saved records at once (the engine sets it)

    def executor_for(self, step: Step) -> StepExecutor:
        if step.executor is None:
            return self.local
        key = id(step.executor)
        if key not in self.executors:
            from ...executor.slurm.engine_adapter import SlurmStepExecutor  # only runs that use Slurm load it

            executor = SlurmStepExecutor(step.executor, self.workspace)
            executor.on_submit = self._record_job
            executor.on_wait = self._note_wait
            self.executors[key] = executor
        return self.executors[key]

    def _note_wait(self, spec: StepSpec, message: str) -> None:
        """Show why a step is not running yet (e.g. the Slurm controller is unreachable)."""
        rec = self._running.get(spec.node_id)
        if rec is not None:
            rec.message = message
            self.save(rec)

    def _record_job(self, spec: StepSpec, job_id: str) -> None:
        """Persist a job id as soon as it exists, so a resumed engine waits for it."""
        rec = self._running.get(spec.node_id)
        if rec is not None:
            rec.job_id = job_id
            if rec.message.startswith("waiting for the Slurm controller"):
                rec.message = ""
            self.save(rec)
            if self.flush is not None:  # now, not within the commit interval: after a kill -9
                self.flush()  # a resumed engine must wait for this job, not submit another

    def _spec(
        self,
        rec: StepRecord,
        step: Step,
        template: OPTemplate,
        params: dict[str, str],
        arts: dict[str, Any],
        attempt_dir: Path,
    ) -> StepSpec:
        spec = StepSpec(
            workflow_id=self.wf_id, node_id=rec.id, step_name=rec.name, template=rec.template,
            attempt_dir=str(attempt_dir), parameters=params,
            artifacts={n: self._artifact_json(a) for n, a in arts.items()},
            envs={str(k): str(v) for k, v in template.envs.items()}, store=self.store,
            store_prefix=f"{self.store_prefix}{self.wf_id}/{rec.id}/{rec.attempts}", key=rec.key,
            extra={
                "group": rec.parent_id or "",
                "group_size": getattr(step.slices, "group_size", None),
                "pool_size": getattr(step.slices, "pool_size", None),
                **self._pvc_outputs(step),
            },
        )  # fmt: skip
        script = getattr(template, "script", None)
        if script is not None:
            spec.script = script
            spec.command = list(getattr(template, "command", ["sh"]))
        return spec

    def _pvc_path(self, claim: PVC) -> str:
        """A claim is a directory of the run, shared by its steps (Argo: a volume claim template)."""
        return str(self.workspace.root / "pvc" / claim.name / claim.subpath)

    def _artifact_json(self, arg: Any) -> Any:
        if isinstance(arg, ArtifactRef):
            return arg.to_json()
        if isinstance(arg, PVC):
            return {"pvc": self._pvc_path(arg)}
        return None

    def _pvc_outputs(self, step: Step) -> dict[str, Any]:
        saved = {n: [self._pvc_path(c) for c in a.pvcs()] for n, a in step.outputs.artifacts.items() if a.pvcs()}
        return {"pvc_outputs": saved} if saved else {}

    async def run(
        self,
        rec: StepRecord,
        step: Step,
        template: OPTemplate,
        params: dict[str, str],
        arts: dict[str, Any],
    ) -> None:
        policy = template.retry
        executor = self.executor_for(step)
        prev = self.previous.pop(rec.id, None)
        running_job = prev.job_id if prev is not None and prev.phase == "Running" and prev.job_id else None
        if running_job is not None and prev is not None:
            rec.attempts = prev.attempts - 1  # the loop below continues that attempt
        elif prev is not None:
            rec.attempts = max(rec.attempts, prev.attempts)  # attempts of earlier engines are kept
        try:
            memory_limit = self._memory_limit(rec, template, executor)
        except ValueError as exc:
            rec.phase, rec.message, rec.end_time = "Error", str(exc), time.time()
            return
        self._running[rec.id] = rec
        tries = 0  # attempts made by this engine: what the retry limit counts
        while True:
            tries += 1
            rec.attempts += 1
            if running_job is None:
                rec.attempts = self._fresh_attempt(rec.id, rec.attempts)
            attempt_dir = self.workspace.attempt_dir(rec.id, rec.attempts)
            spec = self._spec(rec, step, template, params, arts, attempt_dir)
            if memory_limit is not None:
                spec.extra[MEMORY_KEY] = memory_limit
            rec.workdir = str(spec.workdir)
            rec.log_path = str(attempt_dir / "log.txt")
            rec.phase = "Running"
            self.save(rec)
            if running_job is not None and hasattr(executor, "attach"):
                rec.job_id, running_job = running_job, None
                outcome = await executor.attach(rec.job_id, template.timeout, spec.attempt_dir)
            else:
                rec.job_id = None
                outcome = await executor.run(spec, template, rec.log_path, template.timeout)
            if rec.run_start_time is None:
                rec.run_start_time = outcome.started or _started_in(attempt_dir)
            if outcome.exit_code != codes.SUCCEEDED:
                _keep_inputs(spec)
            memory = template.limits.get("memory") if memory_limit is not None else None
            oom = memory is not None and cgroups.finish(outcome.pid)
            phase, message, kind = classify(
                outcome, attempt_dir, template.timeout, template.timeout_as_transient_error, memory, oom
            )
            if phase == "Succeeded":
                self._load_outputs(rec, template, outcome.outputs or (attempt_dir / "outputs.json").read_text())
                rec.phase, rec.message = phase, ""
                break
            if _retryable(policy.on, kind) and tries <= policy.limit:
                rec.message = f"attempt {rec.attempts} {phase.lower()}: {message}; retrying"
                self.save(rec)
                await asyncio.sleep(policy.delay(tries))
                continue
            rec.phase, rec.message = phase, message
            break
        rec.end_time = time.time()
        rec.progress = final_progress(rec)
        self._running.pop(rec.id, None)

    def _memory_limit(self, rec: StepRecord, template: OPTemplate, executor: StepExecutor) -> int | None:
        """``limits['memory']`` in bytes for a local step (a Slurm job has its executor's ``memory``)."""
        if executor is not self.local or "memory" not in template.limits:
            return None
        return parse_memory(template.limits["memory"], f"step {rec.name!r}")

    def _fresh_attempt(self, node_id: str, number: int) -> int:
        """The first attempt number from ``number`` on whose directory does not exist.

        An engine killed mid-step may not have committed that attempt's record, but its
        directory is there: a re-run must never write into it (``mkdir`` would fail,
        appends and output folders would carry the killed attempt's files), and it stays
        on disk for inspection. One ``stat`` per attempt.
        """
        while self.workspace.attempt_dir(node_id, number).exists():
            number += 1
        return number

    def _load_outputs(self, rec: StepRecord, template: OPTemplate, text: str) -> None:
        data = json.loads(text)
        types = _output_types(template)
        rec.outputs = IORecord(
            {n: ParameterRecord(n, raw, types.get(n, "")) for n, raw in data["parameters"].items()},
            {n: ArtifactRef.from_json(a) for n, a in data["artifacts"].items()},
        )
