"""Walk a workflow's templates and run its steps: the local engine's scheduler.

Each ``Steps``/``DAG`` instance and each step is an asyncio coroutine; leaves wait
for a worker slot (and any ``parallelism`` caps above them) and then run in a forked
runner child. Node ids are derived from the node's path, so a resumed run finds the
steps that already succeeded and adopts their outputs instead of running them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ..._values import encode_value, type_name_of
from ...artifacts import ArtifactRef
from ...expr import ExpressionError, IfExpression, evaluate, evaluate_when, render, template_references, to_template
from ...expr.references import output_reference
from ...graph.collect import TemplateTable
from ...graph.dag import DAG, Task
from ...graph.step import Step
from ...graph.steps import Steps
from ...graph.template import OPTemplate
from ...python.opio import Artifact, field_kind
from ...python.template import PythonOPTemplate
from ...records import IORecord, ParameterRecord, StepRecord
from .fanout import (
    fan_out_items,
    gather_outputs,
    is_fan_out,
    list_parameter,
    slice_artifact,
    slice_index,
    slice_parameter,
)
from .frame import NO_ITEM, Frame
from .leaf import LeafRunner
from .state_store import StateStore, io_from_json, io_to_json

if TYPE_CHECKING:  # the cache's modules load only when a template caches (``engine_loop``)
    from ...cache.index import CacheEntry
    from ...cache.steps import StepCache

__all__ = ["Scheduler"]

T = TypeVar("T")
OK_PHASES = ("Succeeded", "Skipped")
FAILED_PHASES = ("Failed", "Error")


FAN_OUT_WINDOW = 512  # items of one fan-out started at once (each waits for a worker slot)


async def _gather_window(coroutines: Iterator[Coroutine[Any, Any, T]], window: int) -> list[T]:
    """``asyncio.gather`` of many coroutines, at most ``window`` of them started at a time.

    Items wait for a worker slot anyway; starting all 100,000 of a fan-out at once only
    held 100,000 suspended coroutines (~7 KB each) in the engine. Results keep their order.
    Each started item tells a queue when it is done (one callback per item): waiting with
    ``asyncio.wait`` on the whole window instead adds and removes a callback on every
    running item at each completion, O(window) per item. Cancelled (terminate), it
    cancels the started ones and starts no more.
    """
    results: dict[int, T] = {}
    running: dict[asyncio.Future[T], int] = {}
    finished: asyncio.Queue[asyncio.Future[T]] = asyncio.Queue()
    numbered = enumerate(coroutines)

    def start(batch: int) -> None:
        for i, coroutine in itertools.islice(numbered, batch):
            future = asyncio.ensure_future(coroutine)
            running[future] = i
            future.add_done_callback(finished.put_nowait)

    start(window)
    try:
        while running:
            future = await finished.get()
            results[running.pop(future)] = future.result()
            start(1)
    except BaseException:
        for future in running:
            future.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        raise
    return [results[i] for i in range(len(results))]


@contextlib.asynccontextmanager
async def _slots(semaphores: tuple[asyncio.Semaphore, ...]) -> AsyncIterator[None]:
    """Hold one slot of every cap, innermost first (one global order: no deadlock)."""
    held: list[asyncio.Semaphore] = []
    try:
        for sem in reversed(semaphores):
            await sem.acquire()
            held.append(sem)
        yield
    finally:
        for sem in held:
            sem.release()


def _continues(step: Step, rec: StepRecord) -> bool:
    if rec.phase == "Failed":
        return bool(step.continue_on_failed)
    if rec.phase == "Error":
        return bool(step.continue_on_error)
    return True


class Scheduler:
    """Runs one workflow to completion (or resumes it) against a ``StateStore``."""

    def __init__(
        self,
        wf_id: str,
        table: TemplateTable,
        store: StateStore,
        leaf_runner: LeafRunner,
        workers: int,
        parameters: dict[str, str],
        parallelism: int | None,
        reuse: list[StepRecord],
        previous: dict[str, StepRecord],
        cache: StepCache | None = None,
    ) -> None:
        self.wf_id = wf_id
        self.table = table
        self.store = store
        self.leaves = leaf_runner
        self.workflow_scope: dict[str, Any] = {
            "name": wf_id,
            "uid": wf_id,
            "namespace": "local",
            "parameters": parameters,
        }
        # Local concurrency is capped by the worker pool; these are the user's caps.
        self.root_semaphores: tuple[asyncio.Semaphore, ...] = (asyncio.Semaphore(parallelism),) if parallelism else ()
        self.reuse = {r.key: r for r in reuse if r.key}
        self.previous = previous
        self.cache = cache

    # --- ids and records ---------------------------------------------------------------
    def node_id(self, path: str) -> str:
        return f"{self.wf_id}-{hashlib.sha1(path.encode()).hexdigest()[:10]}"

    def _record(self, path: str, name: str, parent: StepRecord | None, template: OPTemplate, kind: str) -> StepRecord:
        return StepRecord(
            id=self.node_id(path), name=name, workflow_id=self.wf_id, parent_id=parent.id if parent else None,
            template=self.table.name_of(template), type=kind,
        )  # fmt: skip

    def save(self, rec: StepRecord) -> None:
        self.store.save_node(rec)

    def _ended_by(self, rec: StepRecord, exc: BaseException) -> None:
        """Record how ``exc`` ended a step: terminated (re-raised), or Error with its message.

        Any other exception is the step's problem, not the engine's: it stays in the record.
        """
        if isinstance(exc, asyncio.CancelledError):
            rec.phase, rec.message, rec.end_time = "Failed", "terminated", time.time()
            self.save(rec)
            raise exc
        if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: the engine's own end
            raise exc
        rec.phase, rec.message, rec.end_time = "Error", f"{type(exc).__name__}: {exc}", time.time()
        self.save(rec)

    # --- the workflow ---------------------------------------------------------------------
    async def run(self) -> StepRecord:
        entry = self.table.entrypoint
        root = self._record("", self.wf_id, None, entry, _node_type(entry))
        params = {n: encode_value(p.value) for n, p in entry.inputs.parameters.items() if p.has_value}
        params.update({k: v for k, v in self.workflow_scope["parameters"].items() if k in entry.inputs.parameters})
        root.inputs = IORecord({n: ParameterRecord(n, v) for n, v in params.items()})
        root.start_time = self._first_start(root.id)
        root.phase = "Running"
        self.save(root)
        try:
            await self._run_container(root, entry, params, {}, "", self.root_semaphores)
        except asyncio.CancelledError:
            root.phase, root.message = "Failed", "terminated"
            root.end_time = time.time()
            self.save(root)
            raise
        if self.table.on_exit is not None:
            await self._run_exit_handler(root, self.table.on_exit)
        return root

    async def _run_exit_handler(self, root: StepRecord, template: OPTemplate) -> None:
        """Argo's ``onExit``: runs whatever happened, sees ``{{workflow.status}}``; its failure fails the run."""
        self.workflow_scope["status"] = root.phase
        frame = Frame(root, "", {}, {}, "steps", self.workflow_scope, self.root_semaphores)
        record = await self.run_step(frame, Step(f"{self.wf_id}.onExit", template))
        if record.phase in FAILED_PHASES and root.phase == "Succeeded":
            root.phase, root.message = "Failed", f"exit handler failed: {record.message}"
            self.save(root)

    async def _run_container(
        self, rec: StepRecord, template: OPTemplate, params: dict[str, str], arts: dict[str, Any],
        path: str, semaphores: tuple[asyncio.Semaphore, ...],
    ) -> None:  # fmt: skip
        if template.parallelism:
            semaphores = (*semaphores, asyncio.Semaphore(template.parallelism))
        kind = "tasks" if isinstance(template, DAG) else "steps"
        frame = Frame(rec, path, params, arts, kind, self.workflow_scope, semaphores)
        if isinstance(template, Steps):
            failure = await self._run_stages(frame, template)
        else:
            assert isinstance(template, DAG)
            failure = await self._run_dag(frame, template)
        if failure:
            rec.phase, rec.message = "Failed", failure
        else:
            rec.outputs = self._template_outputs(template, frame)
            rec.phase = "Succeeded"
        rec.end_time = time.time()
        self.save(rec)

    async def _run_stages(self, frame: Frame, template: Steps) -> str:
        for stage in template.steps:
            records = await asyncio.gather(*(self.run_step(frame, step) for step in stage))
            for step, record in zip(stage, records):
                frame.add_child(step.name, record)
            failed = [s.name for s, r in zip(stage, records) if r.phase in FAILED_PHASES and not _continues(s, r)]
            if failed:
                return f"child step(s) {', '.join(repr(n) for n in failed)} failed"
        return ""

    async def _run_dag(self, frame: Frame, template: DAG) -> str:
        """Start each task once its dependencies have finished; only the dependents of a task
        that just finished are looked at again (looking at every pending task each time made a
        10,000-task DAG cost n^2 or worse)."""
        pending: dict[str, Task] = {t.name: t for t in template.tasks}
        by_name = dict(pending)
        deps = {n: [d for d in t.dependencies if d in by_name] for n, t in pending.items()}
        dependents: dict[str, list[str]] = {}
        for name, ds in deps.items():
            for d in dict.fromkeys(ds):
                dependents.setdefault(d, []).append(name)
        running: dict[asyncio.Task[StepRecord], Task] = {}
        failed: list[str] = []
        candidates = list(pending)  # tasks that may have become ready, in the DAG's order
        while pending or running:
            i = 0
            while i < len(candidates):
                name = candidates[i]
                i += 1
                task = pending.get(name)
                if task is None or not all(d in frame.children for d in deps[name]):
                    continue
                del pending[name]
                blocked = [
                    d
                    for d in deps[name]
                    if frame.children[d].phase not in OK_PHASES and not _continues(by_name[d], frame.children[d])
                ]
                if blocked or failed:
                    frame.add_child(name, self._omitted(frame, task))
                    candidates += dependents.get(name, [])
                    continue
                running[asyncio.ensure_future(self.run_step(frame, task))] = task
            candidates = []
            if not running:
                for name, task in pending.items():
                    frame.add_child(name, self._omitted(frame, task))
                break
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for fut in done:
                task = running.pop(fut)
                record = fut.result()
                frame.add_child(task.name, record)
                candidates += dependents.get(task.name, [])
                if record.phase in FAILED_PHASES and not _continues(task, record):
                    failed.append(task.name)
        return f"task(s) {', '.join(repr(n) for n in failed)} failed" if failed else ""

    def _omitted(self, frame: Frame, task: Task) -> StepRecord:
        rec = self._record(f"{frame.path}/{task.name}", task.name, frame.node, task.template, "Skipped")
        rec.phase, rec.message = "Omitted", "a dependency failed"
        self.save(rec)
        return rec

    # --- one step ---------------------------------------------------------------------------
    async def run_step(self, frame: Frame, step: Step) -> StepRecord:
        path = f"{frame.path}/{step.name}"
        kind = "StepGroup" if is_fan_out(step) else _node_type(step.template)
        rec = self._record(path, step.name, frame.node, step.template, kind)
        try:
            scope = frame.scope()
            if step.when is not None and not evaluate_when(step.when, scope):
                rec.phase, rec.type, rec.message = (
                    "Skipped",
                    "Skipped",
                    f"when {step.when!r} was false",
                )
                self.save(rec)
                return rec
            if kind == "StepGroup":
                await self._run_fan_out(frame, step, rec, path)
            else:
                await self._run_one(frame, step, rec, path, NO_ITEM, None)
        except BaseException as exc:
            self._ended_by(rec, exc)
        return rec

    def _resolve_inputs(self, frame: Frame, step: Step, scope: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
        owner = f"step {step.name!r}"
        params: dict[str, str] = {}
        per_item = "item" not in scope  # a fan-out's own inputs: item references stay as written
        for name, decl in step.template.inputs.parameters.items():
            if name in step.parameters:
                text = step.parameters[name]
                if per_item and _uses_item(text):
                    params[name] = text
                else:
                    params[name] = render(text, scope)
            elif decl.has_value:
                params[name] = encode_value(decl.value)
        arts: dict[str, Any] = {}
        for name, arg in step.artifacts.items():
            arts[name] = frame.artifact(arg, owner) if isinstance(arg, str) else arg
        return params, arts

    def _adopt(self, rec: StepRecord, source: StepRecord, message: str, kept: bool) -> None:
        """Take ``source``'s result: a step kept by resume keeps the times it ran; one reused
        from another run takes no time here (a new start with an old end went negative)."""
        rec.outputs = source.outputs
        rec.phase, rec.message = "Succeeded", message
        if kept:
            rec.start_time = source.start_time or rec.start_time or time.time()
            rec.end_time = source.end_time or rec.start_time
            rec.run_start_time = source.run_start_time
        else:
            rec.start_time = rec.end_time = rec.start_time or time.time()
        rec.workdir, rec.log_path, rec.attempts = source.workdir, source.log_path, source.attempts
        rec.job_id = source.job_id  # a resumed run keeps the Slurm job that produced the outputs

    def _first_start(self, node_id: str) -> float:
        """A container's start: when it first started, also when a resume or retry enters it
        again. Its duration then covers the children it kept from before (a leaf run again
        gets a new start: its duration is that run's), as the run's own does
        (``engine_loop._first_start``); restarted, a container around one retried quick step
        read "0.0 s" beside a kept child that took seconds."""
        prev = self.previous.get(node_id)
        return prev.start_time if prev is not None and prev.start_time is not None else time.time()

    def _reused(self, rec: StepRecord, step: Step) -> bool:
        source = self.reuse.get(rec.key) if rec.key else None
        if source is not None:
            _check_reuse_fits(step, source)
            self._adopt(rec, source, f"reused from {source.workflow_id}", kept=False)
            return True
        prev = self.previous.get(rec.id)
        if prev is not None and prev.phase == "Succeeded" and _same_inputs(prev, rec):
            self._adopt(rec, prev, prev.message, kept=True)
            return True
        return False

    async def _run_one(
        self, frame: Frame, step: Step, rec: StepRecord, path: str, item: Any,
        sliced: tuple[dict[str, str], dict[str, Any]] | None,
    ) -> None:  # fmt: skip
        scope = frame.scope(item)
        params, arts = sliced if sliced is not None else self._resolve_inputs(frame, step, scope)
        rec.inputs = _inputs_record(step.template, params, arts)
        rec.key = render(step.key, scope) if step.key else None
        rec.start_time = time.time()
        if self._reused(rec, step):
            self.save(rec)
            return
        template = step.template
        if isinstance(template, (Steps, DAG)):
            rec.start_time = self._first_start(rec.id)
            rec.phase = "Running"
            self.save(rec)
            await self._run_container(rec, template, params, arts, path, frame.semaphores)
            return
        cache_key, entry = await self._cache_probe(template, params, arts)
        if entry is not None:
            self._adopt_cached(rec, entry)
            self.save(rec)
            return
        async with _slots(frame.semaphores):
            await self.leaves.run(rec, step, template, params, arts)
        if cache_key is not None and self.cache is not None and rec.phase == "Succeeded":
            await asyncio.to_thread(self.cache.add, cache_key, rec)
        self.save(rec)

    async def _cache_probe(
        self, template: OPTemplate, params: dict[str, str], arts: dict[str, Any]
    ) -> tuple[str | None, CacheEntry | None]:
        """The step's cache key (if its template caches) and its entry, hashed and read off the loop."""
        cache = self.cache
        if cache is None or not cache.digests:
            return None, None
        name = self.table.name_of(template)

        def probe() -> tuple[str | None, CacheEntry | None]:
            key = cache.key(name, template, params, arts)
            return key, (cache.lookup(key) if key is not None else None)

        return await asyncio.to_thread(probe)

    def _adopt_cached(self, rec: StepRecord, entry: CacheEntry) -> None:
        """Adopt a cached result: outputs by reference, the record says where they came from."""
        source = StepRecord(
            id=entry.step_id, name=entry.step_name, workflow_id=entry.workflow_id, outputs=io_from_json(entry.outputs),
            log_path=entry.log_path or None, workdir=entry.workdir or None,
        )  # fmt: skip
        self._adopt(rec, source, f"cached from {entry.workflow_id}/{entry.step_name}", kept=False)

    async def _run_fan_out(self, frame: Frame, step: Step, rec: StepRecord, path: str) -> None:
        scope = frame.scope()
        params, arts = self._resolve_inputs(frame, step, scope)
        rec.inputs = _inputs_record(step.template, params, arts)
        rec.key = render(step.key, scope) if step.key and "item" not in step.key else None
        rec.start_time = time.time()
        if self._reused(rec, step):
            self.save(rec)
            return
        rec.start_time = self._first_start(rec.id)
        items = fan_out_items(step, scope, params, arts)
        rec.phase = "Running"
        self.save(rec)
        sub = Frame(
            rec,
            path,
            frame.parameters,
            frame.artifacts,
            frame.kind,
            frame.workflow,
            frame.semaphores,
            frame.children,
        )
        if step.parallelism:
            sub.semaphores = (*frame.semaphores, asyncio.Semaphore(step.parallelism))
        decoded: dict[str, tuple[str, list[Any]]] = {}  # sliced lists, decoded once per fan-out
        records = await _gather_window(
            (self._run_item(frame, sub, step, rec, i, item, decoded) for i, item in enumerate(items)), FAN_OUT_WINDOW
        )
        rec.outputs = gather_outputs(list(records), step)
        ok = sum(1 for r in records if r.phase == "Succeeded")
        rec.phase, rec.message = _group_phase(step, ok, len(records))
        rec.end_time = time.time()
        self.save(rec)

    async def _run_item(
        self,
        frame: Frame,
        sub: Frame,
        step: Step,
        group: StepRecord,
        index: int,
        item: Any,
        decoded: dict[str, tuple[str, list[Any]]],
    ) -> StepRecord:
        label = item if isinstance(item, str) else encode_value(item)
        item_path = f"{sub.path}({index})"
        rec = self._record(
            item_path,
            f"{step.name}({index}:{label})",
            group,
            step.template,
            _node_type(step.template),
        )
        try:
            scope = frame.scope(item)
            params, arts = self._resolve_inputs(frame, step, scope)
            if step.slices is not None:
                at = slice_index(step, index, scope)
                for name in step.slices.input_parameter:
                    raw = params[name]
                    if name not in decoded or decoded[name][0] != raw:
                        decoded[name] = (raw, list_parameter(step, name, raw))
                    params[name] = slice_parameter(step, name, decoded[name][1], at)
                for name in step.slices.input_artifact:
                    arts[name] = slice_artifact(step, name, arts.get(name), at)
            await self._run_one(sub, step, rec, item_path, item, (params, arts))
        except BaseException as exc:
            self._ended_by(rec, exc)
        return rec

    # --- outputs of Steps/DAG ----------------------------------------------------------------
    def _template_outputs(self, template: OPTemplate, frame: Frame) -> IORecord:
        scope = frame.scope()
        out = IORecord()
        owner = f"outputs of template {template.name!r}"
        for name, par in template.outputs.parameters.items():
            source = par.value_from_parameter if par.value_from_parameter is not None else par.value_from_expression
            if source is not None:
                text = to_template(source)
                declared = _output_type(par) or _source_type(text, frame)
                out.parameters[name] = ParameterRecord(name, render(text, scope), declared)
            elif par.has_value:
                out.parameters[name] = ParameterRecord(name, encode_value(par.value), type_name_of(par.type))
            elif "default" in par.__dict__:
                out.parameters[name] = ParameterRecord(name, encode_value(par.default), type_name_of(par.type))
        for name, art in template.outputs.artifacts.items():
            if art._from is not None:
                ref = frame.artifact(to_template(art._from), owner)
            elif isinstance(art.from_expression, IfExpression):
                ref = self._conditional_artifact(art.from_expression, frame, owner)
            else:
                continue
            if ref is not None:
                out.artifacts[name] = ref
        return out

    def _conditional_artifact(self, expr: IfExpression, frame: Frame, owner: str) -> Any:
        condition = expr._if if isinstance(expr._if, str) else getattr(expr._if, "expr", str(expr._if))
        try:
            chosen = expr._then if evaluate(condition, frame.scope()) else expr._else
        except ExpressionError as exc:
            raise ExpressionError(f"{owner}: {exc}") from None
        return frame.artifact(to_template(chosen), owner)


def _uses_item(text: str) -> bool:
    return "item" in text and any(ref == "item" or ref.startswith("item.") for ref in template_references(text))


def _node_type(template: OPTemplate) -> str:
    if isinstance(template, Steps):
        return "Steps"
    if isinstance(template, DAG):
        return "DAG"
    return "Pod"


def _group_phase(step: Step, ok: int, total: int) -> tuple[str, str]:
    needed = step.continue_on_num_success
    if needed is not None and ok < needed:  # even with no item failed: dflow's CheckNumSuccess (util_ops.py)
        failed = f"{total - ok} of {total} items failed; " if ok < total else ""
        return "Failed", f"{failed}{ok} of {total} items succeeded; continue_on_num_success={needed} is not met"
    if ok == total:
        return "Succeeded", ""
    message = f"{total - ok} of {total} items failed"
    if step.continue_on_num_success is not None and ok >= step.continue_on_num_success:
        return "Succeeded", message + f" (continue_on_num_success={step.continue_on_num_success})"
    if step.continue_on_success_ratio is not None and total and ok / total >= step.continue_on_success_ratio:
        return (
            "Succeeded",
            message + f" (continue_on_success_ratio={step.continue_on_success_ratio})",
        )
    return "Failed", message


def _inputs_record(template: OPTemplate, params: dict[str, str], arts: dict[str, Any]) -> IORecord:
    declared = template.inputs.parameters
    return IORecord(
        {n: ParameterRecord(n, v, type_name_of(declared[n].type) if n in declared else "") for n, v in params.items()},
        {n: a for n, a in arts.items() if isinstance(a, ArtifactRef)},  # not a PVC: no stored artifact
    )


def _output_type(par: Any) -> str:
    """A Steps/DAG output's type: its own, else its source's (dflow's ``OutputParameter.__setattr__``
    copies ``value_from_parameter``'s, or an ``if_expression``'s branch's, type)."""
    candidates = [par.type, getattr(par.value_from_parameter, "type", None)]
    if isinstance(par.value_from_expression, IfExpression):
        expr = par.value_from_expression
        candidates += [getattr(expr._then, "type", None), getattr(expr._else, "type", None)]
    return next((type_name_of(t) for t in candidates if t is not None), "")


def _source_type(text: str, frame: Frame) -> str:
    """The declared type of a ``{{steps.a.outputs.parameters.x}}`` source, to decode faithfully."""
    ref = output_reference(text, "parameters")
    if ref is not None:
        rec = frame.children.get(ref[1])
        if rec is not None and ref[2] in rec.outputs.parameters:
            return rec.outputs.parameters[ref[2]].type_name
    return ""


def _same_inputs(prev: StepRecord, rec: StepRecord) -> bool:
    """A step kept by resume must see what it saw before: after a retried step produced new
    outputs, the steps that read them run again (``dflow_like.engine.local.retry``)."""
    return io_to_json(prev.inputs) == io_to_json(rec.inputs)


def _check_reuse_fits(step: Step, record: StepRecord) -> None:
    """A reused record must provide every output the template declares."""
    template = step.template
    missing = [f"parameter {n!r}" for n in template.outputs.parameters if n not in record.outputs.parameters]
    if isinstance(template, PythonOPTemplate):
        sign = template.op_class.get_output_sign()
        missing += [
            f"artifact {n!r}"
            for n, s in sign.items()
            if isinstance(field_kind(s), Artifact) and not field_kind(s).optional and n not in record.outputs.artifacts  # type: ignore[union-attr]
        ]
    if missing:
        raise ValueError(
            f"step {step.name!r}: reuse_step record {record.name!r} (key {record.key!r}, from workflow "
            f"{record.workflow_id!r}) does not fit template {template.name!r}: it lacks output {', '.join(missing)}"
        )
