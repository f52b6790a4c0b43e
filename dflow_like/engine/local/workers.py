"""Warm workers: the engine's forks happen off its own loop.

The engine forks ``W`` workers once, after the workflow is loaded, so each worker
already holds every template and the user's imported modules. For every step a
worker forks one child (the step's own process, session and workdir), waits for it
and sends back its exit status and ``outputs.json``. The engine loop only writes a
request and reads two short replies per step; the ~2 ms a ``fork()`` costs on a VM
is spent in the workers, in parallel.

Frames on the pipes are a 4-byte length and a pickle of plain data.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import signal
import struct
from pathlib import Path
from typing import Any

from ...graph.template import OPTemplate
from ...runner.spec import StepSpec
from .processes import Outcome, _child, _die_with_parent, _libc, kill_tree

__all__ = ["WorkerPool"]

_HEADER = struct.Struct("!I")


def _send(fd: int, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(fd: int) -> Any:
    header = _read_exact(fd, _HEADER.size)
    if header is None:
        return None
    body = _read_exact(fd, _HEADER.unpack(header)[0])
    return None if body is None else pickle.loads(body)


def _worker_loop(requests: int, replies: int, templates: dict[str, OPTemplate]) -> None:
    """Runs in a worker process: one request at a time, one forked child per request."""
    _die_with_parent()
    import jsonpickle  # noqa: F401 - loaded once here (in parallel with the engine), not in every step
    import typeguard  # noqa: F401

    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    while True:
        message = _receive(requests)
        if message is None:
            os._exit(0)
        spec_json, template_name, log_path = message
        spec = StepSpec.from_json(spec_json)
        pid = os.fork()
        if pid == 0:
            os.close(requests)
            os.close(replies)
            _child(spec, templates[template_name], log_path)
        _send(replies, ("started", pid))
        _, status = os.waitpid(pid, 0)
        outputs = Path(spec.attempt_dir, "outputs.json")
        text = (
            outputs.read_text() if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and outputs.exists() else None
        )
        _send(replies, ("exited", status, text))


class _Worker:
    def __init__(self, templates: dict[str, OPTemplate], siblings: list[_Worker]) -> None:
        req_r, self.requests = os.pipe()
        self.replies, rep_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the worker process
            os.close(self.requests)
            os.close(self.replies)
            for sibling in siblings:  # else a sibling never sees EOF on its request pipe
                with contextlib.suppress(OSError):
                    os.close(sibling.requests)
                    os.close(sibling.replies)
            try:
                _worker_loop(req_r, rep_w, templates)
            finally:
                os._exit(1)
        os.close(req_r)
        os.close(rep_w)
        self.buffer = b""
        self.started: asyncio.Future[int] | None = None
        self.exited: asyncio.Future[tuple[int, str | None]] | None = None

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
        while len(self.buffer) >= _HEADER.size:
            size = _HEADER.unpack(self.buffer[: _HEADER.size])[0]
            if len(self.buffer) < _HEADER.size + size:
                break
            message = pickle.loads(self.buffer[_HEADER.size : _HEADER.size + size])
            self.buffer = self.buffer[_HEADER.size + size :]
            self._deliver(message)

    def _deliver(self, message: tuple[Any, ...]) -> None:
        if message[0] == "started" and self.started is not None and not self.started.done():
            self.started.set_result(message[1])
        elif message[0] == "exited" and self.exited is not None and not self.exited.done():
            self.exited.set_result((message[1], message[2]))

    async def run(self, spec: StepSpec, template_name: str, log_path: str, timeout: float | None) -> Outcome:
        loop = asyncio.get_running_loop()
        self.started, self.exited = loop.create_future(), loop.create_future()
        _send(self.requests, (spec.to_json(), template_name, log_path))
        pid = await asyncio.shield(self.started)
        timed_out = False
        try:
            if timeout is None:
                status, outputs = await asyncio.shield(self.exited)
            else:
                try:
                    status, outputs = await asyncio.wait_for(asyncio.shield(self.exited), timeout)
                except asyncio.TimeoutError:
                    timed_out = True
                    kill_tree(pid)
                    status, outputs = await self.exited
        except asyncio.CancelledError:
            kill_tree(pid)
            with contextlib.suppress(Exception):
                await asyncio.shield(self.exited)
            raise
        if os.WIFSIGNALED(status):
            return Outcome(None, os.WTERMSIG(status), timed_out, pid)
        return Outcome(os.waitstatus_to_exitcode(status), None, timed_out, pid, outputs)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.requests)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        with contextlib.suppress(OSError):
            os.close(self.replies)


class WorkerPool:
    """``size`` warm workers; ``run`` waits for an idle one (this caps local concurrency)."""

    def __init__(self, size: int, templates: dict[str, OPTemplate]) -> None:
        self.templates = templates
        _libc()  # loaded before forking, for every child's prctl
        self.workers: list[_Worker] = []
        for _ in range(size):
            self.workers.append(_Worker(templates, self.workers))
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
        try:
            return await worker.run(spec, template_name, log_path, timeout)
        except ChildProcessError:
            self.workers.remove(worker)
            worker.close()
            worker = _Worker(self.templates, self.workers)  # replace the dead worker, report an error
            self.workers.append(worker)
            asyncio.get_running_loop().add_reader(worker.replies, worker.on_readable)
            return Outcome(None, signal.SIGKILL, False, 0)
        finally:
            idle.put_nowait(worker)

    def close(self) -> None:
        for worker in self.workers:
            worker.close()
