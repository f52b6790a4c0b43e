"""Warm workers, the engine's side: the engine's forks happen off its own loop.

The engine forks ``W`` workers once, after the workflow is loaded (see
``worker_process``), so each worker already holds every template and the user's
imported modules. For every step a worker forks one child (the step's own process,
session and workdir) and reports its pid and exit status. The engine loop writes a
request, reads two short replies and then ``outputs.json`` per step; the ~2 ms a
``fork()`` costs on a VM is spent in the workers, in parallel.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from ..._values import may_need_jsonpickle
from ...graph.template import OPTemplate
from ...runner.spec import StepSpec
from .prefetch import prefetch_plan
from .processes import Outcome, kill_tree
from .worker_process import HEADER, WorkerHandle, send_frame, spawn_worker

__all__ = ["WorkerLost", "WorkerPool"]

STARTING_SECONDS = 10.0  # how long a cancelled step waits for its worker to say it forked
RESERVE_SECONDS = 5.0  # how long a prefetched worker waits for its template's first step
CHEAP_SECONDS = 0.05  # a prefetch quicker than this reserves no worker (a step imports as much itself)


def _read_outputs(spec: StepSpec) -> str | None:
    """``outputs.json`` of a step that exited 0, read here: the engine never forks, so
    its reads cost no copy-on-write faults, unlike the worker's."""
    try:
        with open(os.path.join(spec.attempt_dir, "outputs.json")) as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _how(worker: _Worker) -> str:
    """`` (killed by signal X)`` or `` (exit code N)`` for a closed worker, else ""."""
    if worker.status is not None and os.WIFSIGNALED(worker.status):
        number = os.WTERMSIG(worker.status)
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
        return f" (killed by signal {name})"
    if worker.status is not None:
        return f" (exit code {os.waitstatus_to_exitcode(worker.status)})"
    return ""


def _death(worker: _Worker) -> str:
    """Why a step has no result: its worker (our machinery, not the step) died."""
    return f"worker process {worker.pid} died while running the step{_how(worker)}"


class WorkerLost(Exception):
    """A worker ended before it started the step: the step goes to another worker.

    ``importing``: it had the request, so it died importing the template's modules
    (``warm_imports``) or forking, not while idle."""

    def __init__(self, message: str, importing: bool = False) -> None:
        super().__init__(message)
        self.importing = importing


class _Worker:
    def __init__(self, handle: WorkerHandle, on_death: Callable[[_Worker], None]) -> None:
        self.pid, self.requests, self.replies = handle.pid, handle.requests, handle.replies
        self.on_death = on_death
        self.buffer = b""
        self.started: asyncio.Future[int] | None = None
        self.exited: asyncio.Future[int] | None = None
        self.warmed: asyncio.Future[float] | None = None  # a prefetch's reply: seconds it took
        self.busy = False
        self.dead = False
        self.leaving: tuple[Any, ...] = ()  # ("unsafe", template, reason) or ("retire", reason)
        self.status: int | None = None  # how the process ended, once closed

    @property
    def handle(self) -> WorkerHandle:
        return WorkerHandle(self.pid, self.requests, self.replies)

    def on_readable(self) -> None:
        try:
            data = os.read(self.replies, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # the worker died: fail whatever it was running
            self.dead = True
            for future in (self.started, self.exited, self.warmed):
                if future is not None and not future.done():
                    future.set_exception(ChildProcessError(f"worker process {self.pid} died"))
            asyncio.get_running_loop().remove_reader(self.replies)
            self.on_death(self)
            return
        self.buffer += data
        while len(self.buffer) >= HEADER.size:
            size = HEADER.unpack(self.buffer[: HEADER.size])[0]
            if len(self.buffer) < HEADER.size + size:
                break
            message = pickle.loads(self.buffer[HEADER.size : HEADER.size + size])
            self.buffer = self.buffer[HEADER.size + size :]
            self._deliver(message)

    def _deliver(self, message: tuple[Any, ...]) -> None:
        if message[0] == "started" and self.started is not None and not self.started.done():
            self.started.set_result(message[1])
        elif message[0] == "exited" and self.exited is not None and not self.exited.done():
            self.exited.set_result(message[1])
        elif message[0] == "warmed" and self.warmed is not None and not self.warmed.done():
            self.warmed.set_result(float(message[2]))
        elif message[0] in ("unsafe", "retire"):
            self.leaving = message

    async def run(
        self,
        spec: StepSpec,
        template_name: str,
        log_path: str,
        timeout: float | None,
        jsonpickle: bool,
        warm: bool,
    ) -> Outcome:
        loop = asyncio.get_running_loop()
        self.started, self.exited = loop.create_future(), loop.create_future()
        try:
            send_frame(self.requests, (spec.to_json(), template_name, log_path, jsonpickle, warm))
        except OSError as exc:  # BrokenPipeError: it had died while idle
            raise WorkerLost(f"worker process {self.pid} ended before starting the step: {exc}") from None
        try:
            pid = await asyncio.shield(self.started)
        except ChildProcessError as exc:
            raise WorkerLost(f"worker process {self.pid} ended before starting the step: {exc}", warm) from None
        except asyncio.CancelledError:  # the child may start all the same: kill it when it does
            with contextlib.suppress(Exception):
                kill_tree(await asyncio.wait_for(asyncio.shield(self.started), STARTING_SECONDS))
            raise
        timed_out = False
        try:
            if timeout is None:
                status = await asyncio.shield(self.exited)
            else:
                try:
                    status = await asyncio.wait_for(asyncio.shield(self.exited), timeout)
                except asyncio.TimeoutError:
                    timed_out = True
                    kill_tree(pid)
                    status = await self.exited
        except asyncio.CancelledError:
            kill_tree(pid)
            with contextlib.suppress(Exception):
                await asyncio.shield(self.exited)
            raise
        if os.WIFSIGNALED(status):
            return Outcome(None, os.WTERMSIG(status), timed_out, pid)
        code = os.waitstatus_to_exitcode(status)
        return Outcome(code, None, timed_out, pid, _read_outputs(spec) if code == 0 else None)

    def expect_warmed(self) -> asyncio.Future[float]:
        """The reply to a prefetch request: the seconds it took (an error if the worker dies)."""
        self.warmed = asyncio.get_running_loop().create_future()
        return self.warmed

    async def prefetch(self, template_name: str) -> float:
        """Have this (idle) worker import what ``template_name``'s steps will import; the seconds it took."""
        warmed = self.expect_warmed()
        try:
            send_frame(self.requests, ("prefetch", template_name))
        except OSError as exc:
            raise ChildProcessError(f"worker process {self.pid} died: {exc}") from None
        return await warmed

    def end_requests(self) -> None:
        """Close the request pipe: the worker sees EOF and exits."""
        if self.requests >= 0:
            with contextlib.suppress(OSError):
                os.close(self.requests)
            self.requests = -1

    def close(self) -> None:
        self.end_requests()
        with contextlib.suppress(ChildProcessError):
            self.status = os.waitpid(self.pid, 0)[1]
        with contextlib.suppress(OSError):
            os.close(self.replies)


class _IdleQueue(asyncio.Queue[_Worker]):
    """Idle workers, first in first out; ``take`` picks a given one if it is idle."""

    def take(self, worker: _Worker) -> bool:
        queue = self._queue  # type: ignore[attr-defined]  # the deque asyncio.Queue subclasses use
        if worker in queue:
            queue.remove(worker)
            return True
        return False


class WorkerPool:
    """Warm workers; ``run`` waits for an idle one (this caps local concurrency).

    A worker that dies is replaced by a new one forked from the engine: at once when it
    was idle, and a step it had not started yet goes to another worker (so none is lost
    to it). A worker that leaves on purpose (``warm_imports``: its imports made it
    unsafe to fork from, or it is over its memory limit) is replaced the same way.

    Workers forked before the engine imported what fan-outs need (``early``) begin with a
    prefetch (``prefetch.early_plan``); one whose prefetch proves cheap is replaced by a
    worker forked now, which holds those imports.

    Prefetch: while a step runs and another worker is idle, that worker imports what a
    template that has not run yet names in ``execute`` (``prefetch``), one template at
    a time, in the workflow's order. That worker then waits for the template's first
    step (for up to ``RESERVE_SECONDS``, then it serves any step) and the step waits for
    it while it is still importing, rather than import the same again elsewhere. So
    the EOS example's plot step finds matplotlib imported while the energies ran. A
    prefetch that took under ``CHEAP_SECONDS`` (its package was already loaded) keeps no
    worker waiting, and the next template's begins; a template whose steps have begun
    is not prefetched any more.
    """

    def __init__(
        self,
        templates: dict[str, OPTemplate],
        handles: list[WorkerHandle],
        early: dict[str, WorkerHandle] | None = None,
    ) -> None:
        self.templates = templates
        self.jsonpickle = False  # once a step's outputs needed jsonpickle, workers preload it
        self.cold: set[str] = set()  # templates whose imports workers must not keep
        self.workers = [_Worker(handle, self._died) for handle in handles]
        self._idle: _IdleQueue | None = None
        by_pid = {worker.pid: worker for worker in self.workers}
        # template -> the worker sent its prefetch before the engine's preload (``prefetch.early_plan``)
        self._early = {name: by_pid[handle.pid] for name, handle in (early or {}).items()}
        self.prefetch_plan = [name for name in prefetch_plan(templates) if name not in self._early]
        self.prefetched: dict[str, _Worker] = {}  # template -> the worker that imported its modules
        self._prefetching: dict[str, asyncio.Future[_Worker | None]] = {}
        self._claimed: set[str] = set()  # prefetches a step waits for: their worker goes to it
        self._prefetch_tasks: set[asyncio.Future[None]] = set()
        self._reserved: dict[str, _Worker] = {}  # a prefetched worker waiting for its template's first step

    def _attach(self) -> _IdleQueue:
        if self._idle is None:
            loop = asyncio.get_running_loop()
            self._idle = _IdleQueue()
            early = {worker: name for name, worker in self._early.items()}
            for worker in self.workers:
                if worker in early:  # asked before the loop began: its reply is awaited as any other's
                    self._start_prefetch(worker, early[worker], self._idle, worker.expect_warmed())
                loop.add_reader(worker.replies, worker.on_readable)
                if worker not in early:
                    self._idle.put_nowait(worker)
        return self._idle

    def _start_prefetch(
        self, worker: _Worker, name: str, idle: _IdleQueue, reply: asyncio.Future[float] | None = None
    ) -> None:
        """Prefetch ``name`` on ``worker``; ``reply``: the request went already (``prefetch.early_plan``)."""
        self._prefetching[name] = asyncio.get_running_loop().create_future()
        task = asyncio.ensure_future(self._prefetch(worker, name, idle, reply))
        self._prefetch_tasks.add(task)
        task.add_done_callback(self._prefetch_tasks.discard)

    def _maybe_prefetch(self, idle: _IdleQueue) -> None:
        """Start the next prefetch on an idle worker, keeping another idle one for steps.

        One template at a time: none while a prefetch runs or its worker waits (reserved)
        for that template's first step.
        """
        if self._prefetching or self._reserved or idle.qsize() < 2:
            return
        while self.prefetch_plan:
            name = self.prefetch_plan.pop(0)
            if self._warm(name) and name not in self.prefetched:
                self._start_prefetch(idle.get_nowait(), name, idle)
                return

    async def _prefetch(
        self, worker: _Worker, name: str, idle: _IdleQueue, reply: asyncio.Future[float] | None
    ) -> None:
        worker.busy = True
        done: _Worker | None = None
        seconds = 0.0
        try:
            seconds = await (reply if reply is not None else worker.prefetch(name))
            done = worker
        except ChildProcessError:  # it left (its imports made it unsafe, it was over its memory) or died importing
            self._replace(worker)
            self._left(worker, name)
        finally:
            worker.busy = False
        pending = self._prefetching.pop(name)
        claimed = name in self._claimed
        self._claimed.discard(name)
        if done is None:
            pending.set_result(None)
            self._maybe_prefetch(idle)
        elif claimed:  # a step of it is waiting: hand the worker over
            self.prefetched[name] = done
            pending.set_result(done)
        elif seconds < CHEAP_SECONDS and self._early.get(name) is done:
            # Not worth a worker that lacks the fan-outs' imports: one forked now has them.
            self._replace(done)
            pending.set_result(None)
            self._maybe_prefetch(idle)
        elif seconds < CHEAP_SECONDS:  # its modules were all but loaded: not worth keeping a worker idle for
            self.prefetched[name] = done
            self._release(done, idle)
            pending.set_result(None)
            self._maybe_prefetch(idle)
        else:  # kept for that template's first step, for a while (other steps have the rest)
            self.prefetched[name] = done
            self._reserved[name] = done
            asyncio.get_running_loop().call_later(RESERVE_SECONDS, self._unreserve, name, idle)
            pending.set_result(None)

    def _unreserve(self, name: str, idle: _IdleQueue) -> None:
        worker = self._reserved.pop(name, None)
        if worker is not None and worker in self.workers:
            self._release(worker, idle)
        self._maybe_prefetch(idle)

    async def _acquire(self, idle: _IdleQueue, template_name: str) -> _Worker:
        """An idle worker for a step: the one that prefetched its template if there is one."""
        reserved = self._reserved.pop(template_name, None)
        if reserved is not None and reserved in self.workers:
            return reserved
        pending = self._prefetching.get(template_name)
        if pending is not None and template_name not in self._claimed:
            self._claimed.add(template_name)
            try:
                handed = await asyncio.shield(pending)
            except asyncio.CancelledError:
                self._claimed.discard(template_name)
                late = pending.result() if pending.done() else None
                if late is not None:
                    self._release(late, idle)
                raise
            if handed is not None:
                return handed
        preferred = self.prefetched.get(template_name)
        if preferred is not None and preferred in self.workers and idle.take(preferred):
            return preferred
        return await idle.get()

    def _replace(self, worker: _Worker) -> None:
        """Close a dead (or leaving) worker and put a new one in the idle queue."""
        if worker not in self.workers:
            return
        self.workers.remove(worker)
        if not worker.dead:
            asyncio.get_running_loop().remove_reader(worker.replies)
        worker.close()
        others = [w.handle for w in self.workers]
        fresh = _Worker(spawn_worker(self.templates, others), self._died)
        self.workers.append(fresh)
        asyncio.get_running_loop().add_reader(fresh.replies, fresh.on_readable)
        self._attach().put_nowait(fresh)

    def _died(self, worker: _Worker) -> None:
        if not worker.busy:  # an idle worker died: replace it now (a busy one, in ``run``)
            self._replace(worker)

    def _warm(self, template_name: str) -> bool:
        template = self.templates[template_name]
        return template_name not in self.cold and bool(getattr(template, "warm_imports", True))

    def _left(self, worker: _Worker, importing: str | None = None) -> None:
        """Note why a worker left before starting a step (in the engine log).

        One that died without saying why while importing ``importing``'s modules (a
        library that crashes a forked process, or ends it, at import) makes that template
        cold: its steps then import in their own processes, where such a crash fails the
        step with its exit status and log instead of taking down worker after worker.
        """
        if not worker.leaving and importing is not None and importing not in self.cold:
            self._make_cold(importing, f"a worker died importing what its steps import{_how(worker)};")
        elif worker.leaving[:1] == ("unsafe",):
            _, template_name, reason = worker.leaving
            self._make_cold(template_name, f"{reason}; a worker that keeps these imports is not safe to fork from, so")
        elif worker.leaving[:1] == ("retire",):
            print(f"worker {worker.pid} replaced by a clean one: {worker.leaving[1]}", file=sys.stderr, flush=True)

    def _make_cold(self, template_name: str, why: str) -> None:
        self.cold.add(template_name)
        print(
            f"template {template_name!r}: {why} its steps now import in their own processes (warm_imports)",
            file=sys.stderr,
            flush=True,
        )

    async def run(self, spec: StepSpec, template_name: str, log_path: str, timeout: float | None) -> Outcome:
        idle = self._attach()
        if template_name in self.prefetch_plan:  # its steps have begun: importing ahead is too late
            self.prefetch_plan.remove(template_name)
        lost: list[str] = []
        while len(lost) <= len(self.workers) + 1:
            worker = await self._acquire(idle, template_name)
            if worker not in self.workers:  # died while idle, already replaced
                continue
            worker.busy = True
            self._maybe_prefetch(idle)
            started = time.time()  # the wait for an idle worker is queueing, not running
            try:
                outcome = await worker.run(
                    spec, template_name, log_path, timeout, self.jsonpickle, self._warm(template_name)
                )
            except WorkerLost as exc:
                lost.append(str(exc))
                self._replace(worker)
                self._left(worker, template_name if exc.importing else None)
                continue
            except ChildProcessError:
                self._replace(worker)
                return Outcome(None, None, False, 0, reason=_death(worker))
            except BaseException:
                worker.busy = False
                self._release(worker, idle)
                raise
            worker.busy = False
            self._release(worker, idle)
            outcome.started = started
            if outcome.outputs is not None and may_need_jsonpickle(outcome.outputs):
                self.jsonpickle = True
            return outcome
        return Outcome(None, None, False, 0, reason=f"no worker could start the step: {'; '.join(lost[-2:])}")

    def _release(self, worker: _Worker, idle: _IdleQueue) -> None:
        if worker.dead:
            self._replace(worker)
        elif worker in self.workers:
            idle.put_nowait(worker)

    def close(self) -> None:
        for worker in self.workers:  # every worker sees EOF first: they exit side by side
            worker.end_requests()
        for worker in self.workers:
            worker.close()
