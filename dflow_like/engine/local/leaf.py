"""Run a leaf step's attempts: build its spec, run the runner, classify, retry."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any, Protocol

from ...artifacts import ArtifactRef
from ...graph.step import Step
from ...graph.template import OPTemplate
from ...python.opio import Artifact, field_kind
from ...python.template import PythonOPTemplate
from ...records import IORecord, ParameterRecord, StepRecord
from ...runner import codes
from ...runner.spec import StepSpec
from ...values import type_name_of
from .processes import Outcome, run_forked
from .workspace import Workspace

__all__ = ["LeafRunner", "StepExecutor"]


class StepExecutor(Protocol):
    """Where a leaf runs: a forked local process (default) or a Slurm job."""

    async def run(self, spec: StepSpec, template: OPTemplate, log_path: str, timeout: float | None) -> Outcome: ...


class ForkExecutor:
    async def run(self, spec: StepSpec, template: OPTemplate, log_path: str, timeout: float | None) -> Outcome:
        return await run_forked(spec, template, log_path, timeout)


def _signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return str(sig)


def classify(outcome: Outcome, attempt_dir: Path, timeout: float | None, as_transient: bool) -> tuple[str, str, str]:
    """(phase, message, failure kind) where kind is "", "transient", "fatal", "failure" or "error"."""
    if outcome.timed_out:
        return (
            "Failed",
            f"timed out after {timeout:g} s (process tree killed)",
            "transient" if as_transient else "failure",
        )
    if outcome.exit_code == codes.SUCCEEDED:
        return "Succeeded", "", ""
    error_file = attempt_dir / "error.txt"
    detail = error_file.read_text().strip() if error_file.exists() else ""
    if outcome.exit_code is None:
        sig = _signal_name(outcome.signal or 0)
        hint = " (out of memory?)" if outcome.signal == signal.SIGKILL else ""
        return "Error", f"runner killed by {sig}{hint}", "error"
    code = outcome.exit_code
    if code == codes.FATAL:
        return "Failed", detail or "FatalError", "fatal"
    if code == codes.TRANSIENT:
        return "Failed", detail or "TransientError", "transient"
    if code == codes.FAILED:
        return "Failed", detail or "failed", "failure"
    return "Error", detail or f"runner exited with code {code}", "error"


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
        store: str = "local",
        store_prefix: str = "",
    ) -> None:
        self.workspace = workspace
        self.wf_id = wf_id
        self.save = save
        self.store = store
        self.store_prefix = store_prefix
        self.local = ForkExecutor()
        self.executors: dict[int, StepExecutor] = {}

    def executor_for(self, step: Step) -> StepExecutor:
        if step.executor is None:
            return self.local
        key = id(step.executor)
        if key not in self.executors:
            from .remote import executor_for_spec

            self.executors[key] = executor_for_spec(step.executor, self.workspace)
        return self.executors[key]

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
            artifacts={n: (a.to_json() if isinstance(a, ArtifactRef) else None) for n, a in arts.items()},
            envs={str(k): str(v) for k, v in template.envs.items()}, store=self.store,
            store_prefix=f"{self.store_prefix}{self.wf_id}/{rec.id}/{rec.attempts}", key=rec.key,
        )  # fmt: skip
        script = getattr(template, "script", None)
        if script is not None:
            spec.script = script
            spec.command = list(getattr(template, "command", ["sh"]))
        return spec

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
        while True:
            rec.attempts += 1
            attempt_dir = self.workspace.attempt_dir(rec.id, rec.attempts)
            (attempt_dir / "workdir").mkdir(parents=True, exist_ok=True)
            spec = self._spec(rec, step, template, params, arts, attempt_dir)
            spec.write()
            rec.workdir = str(spec.workdir)
            rec.log_path = str(attempt_dir / "log.txt")
            rec.phase = "Running"
            self.save(rec)
            outcome = await executor.run(spec, template, rec.log_path, template.timeout)
            phase, message, kind = classify(outcome, attempt_dir, template.timeout, template.timeout_as_transient_error)
            if phase == "Succeeded":
                self._load_outputs(rec, template, attempt_dir)
                rec.phase, rec.message = phase, ""
                break
            if _retryable(policy.on, kind) and rec.attempts <= policy.limit:
                rec.message = f"attempt {rec.attempts} {phase.lower()}: {message}; retrying"
                self.save(rec)
                await asyncio.sleep(policy.delay(rec.attempts))
                continue
            rec.phase, rec.message = phase, message
            break
        rec.end_time = time.time()

    def _load_outputs(self, rec: StepRecord, template: OPTemplate, attempt_dir: Path) -> None:
        data = json.loads((attempt_dir / "outputs.json").read_text())
        types = _output_types(template)
        rec.outputs = IORecord(
            {n: ParameterRecord(n, raw, types.get(n, "")) for n, raw in data["parameters"].items()},
            {n: ArtifactRef.from_json(a) for n, a in data["artifacts"].items()},
        )
