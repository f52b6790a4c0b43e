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
import time
from typing import Any

from ...graph.template import OPTemplate
from ...runner.spec import StepSpec
from ...values import may_need_jsonpickle
from .processes import Outcome, kill_tree
from .worker_process import HEADER, WorkerHandle, send_frame, spawn_worker

__all__ = ["WorkerPool"]


def _read_outputs(spec: StepSpec) -> str | None:
    """``outputs.json`` of a step that exited 0, read here: the engine never forks, so
    its reads cost no copy-on-write faults, unlike the worker's."""
    try:
        with open(os.path.join(spec.attempt_dir, "outputs.json")) as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _death(worker: _Worker) -> str:
    """Why a step has no result: its worker (our machinery, not the step) died."""
    how = ""
    if worker.status is not None and os.WIFSIGNALED(worker.status):
        number = os.WTERMSIG(worker.status)
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
        how = f" (killed by signal {name})"
    elif worker.status is not None:
        how = f" (exit code {os.waitstatus_to_exitcode(worker.status)})"
    return f"the worker process {worker.pid} running this step died{how}"


class _Worker:
    def __init__(self, handle: WorkerHandle) -> None:
        self.pid, self.requests, self.replies = handle.pid, handle.requests, handle.replies
        self.buffer = b""
        self.started: asyncio.Future[int] | None = None
        self.exited: asyncio.Future[int] | None = None
        self.status: int | None = None  # how the process ended, once closed

    def on_readable(self) -> None:
        try:
            data = os.read(self.replies, 65536)
        except BlockingIOError:
            return
        if not data:  # the worker died: fail whatever it was running
            for future in (self.started, self.exited):
                if future is not None and not future.done():
                    future.set_exception(ChildProcessError(f"worker process {self.pid} died"))
            asyncio.get_running_loop().remove_reader(self.replies)
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

    async def run(
        self, spec: StepSpec, template_name: str, log_path: str, timeout: float | None, jsonpickle: bool
    ) -> Outcome:
        loop = asyncio.get_running_loop()
        self.started, self.exited = loop.create_future(), loop.create_future()
        send_frame(self.requests, (spec.to_json(), template_name, log_path, jsonpickle))
        pid = await asyncio.shield(self.started)
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

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.requests)
        with contextlib.suppress(ChildProcessError):
            self.status = os.waitpid(self.pid, 0)[1]
        with contextlib.suppress(OSError):
            os.close(self.replies)


class WorkerPool:
    """Warm workers; ``run`` waits for an idle one (this caps local concurrency)."""

    def __init__(self, templates: dict[str, OPTemplate], handles: list[WorkerHandle]) -> None:
        self.templates = templates
        self.jsonpickle = False  # once a step's outputs needed jsonpickle, workers preload it
        self.workers = [_Worker(handle) for handle in handles]
        self._idle: asyncio.Queue[_Worker] | None = None

    def _attach(self) -> asyncio.Queue[_Worker]:
        if self._idle is None:
            loop = asyncio.get_running_loop()
            self._idle = asyncio.Queue()
            for worker in self.workers:
                loop.add_reader(worker.replies, worker.on_readable)
                self._idle.put_nowait(worker)
        return self._idle

    async def run(self, spec: StepSpec, template_name: str, log_path: str, timeout: float | None) -> Outcome:
        idle = self._attach()
        worker = await idle.get()
        started = time.time()  # the wait for an idle worker is queueing, not running
        try:
            outcome = await worker.run(spec, template_name, log_path, timeout, self.jsonpickle)
            outcome.started = started
            if outcome.outputs is not None and may_need_jsonpickle(outcome.outputs):
                self.jsonpickle = True
            return outcome
        except ChildProcessError:
            self.workers.remove(worker)
            worker.close()
            dead = worker
            others = [WorkerHandle(w.pid, w.requests, w.replies) for w in self.workers]
            worker = _Worker(spawn_worker(self.templates, others))  # replace the dead worker, report an error
            self.workers.append(worker)
            asyncio.get_running_loop().add_reader(worker.replies, worker.on_readable)
            return Outcome(None, None, False, 0, reason=_death(dead))
        finally:
            idle.put_nowait(worker)

    def close(self) -> None:
        for worker in self.workers:
            worker.close()
