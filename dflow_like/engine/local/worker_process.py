"""The worker side of the warm pool: a process that forks one child per step.

A worker is forked from the engine as soon as the workflow is loaded and before the
engine imports its scheduler (asyncio, SQLite, the scheduler): every ``fork()`` a
worker makes copies page tables for all it has mapped, and the step's child tears
them down again, so a worker holds only what steps need. This module therefore
imports no asyncio. The engine side (``workers.py``) talks to a worker over two
pipes; frames are a 4-byte length and a pickle of plain data.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import signal
import struct
import sys
import time
from dataclasses import dataclass
from typing import Any

from ..._values import may_need_jsonpickle
from ...graph.template import OPTemplate
from ...runner.spec import StepSpec
from .processes import _PR_SET_PDEATHSIG, _child, _libc, become_subreaper, sweep_children
from .titles import retitle
from .warm_imports import ImportMemory, ReportFile, new_modules, rss_mib
from .warmup import ROUNDS, load_jsonpickle, preload_for, warm_runner

STEPS_PER_ROUND = 4

__all__ = ["HEADER", "WorkerHandle", "end_worker", "send_frame", "spawn_worker", "spawn_workers"]

HEADER = struct.Struct("!I")


@dataclass
class WorkerHandle:
    """A running worker as the engine sees it: its pid and its ends of the pipes."""

    pid: int
    requests: int  # the engine writes requests here
    replies: int  # and reads the worker's replies here


def send_frame(fd: int, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(HEADER.pack(len(data)) + data)
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
    header = _read_exact(fd, HEADER.size)
    if header is None:
        return None
    body = _read_exact(fd, HEADER.unpack(header)[0])
    return None if body is None else pickle.loads(body)


def spawn_worker(templates: dict[str, OPTemplate], others: list[WorkerHandle]) -> WorkerHandle:
    """Fork a worker; ``others`` are the engine's handles to close in it."""
    _libc()  # loaded before forking, for every child's prctl
    req_r, requests = os.pipe()
    replies, rep_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the worker process
        os.close(requests)
        os.close(replies)
        for other in others:  # else a sibling never sees EOF on its request pipe
            with contextlib.suppress(OSError):
                os.close(other.requests)
                os.close(other.replies)
        try:
            _worker_loop(req_r, rep_w, templates)
        finally:
            os._exit(1)
    os.close(req_r)
    os.close(rep_w)
    return WorkerHandle(pid, requests, replies)


def spawn_workers(
    size: int, templates: dict[str, OPTemplate], others: list[WorkerHandle] | None = None
) -> list[WorkerHandle]:
    """Fork ``size`` workers (before the engine opens its database or event loop);
    ``others`` are workers forked earlier, whose pipes the new ones must not hold."""
    handles: list[WorkerHandle] = []
    for _ in range(size):
        handles.append(spawn_worker(templates, [*(others or []), *handles]))
    return handles


def end_worker(handle: WorkerHandle) -> None:
    """Stop a worker the engine no longer wants (its pipes closed, the process reaped)."""
    for fd in (handle.requests, handle.replies):
        with contextlib.suppress(OSError):
            os.close(fd)
    with contextlib.suppress(OSError):
        os.kill(handle.pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(handle.pid, 0)


def _batch_policy() -> None:
    """Run this worker and its steps as batch work (``SCHED_BATCH``, Linux; inherited).

    Steps are throughput work: batch tasks do not preempt the task that woke them, so
    the engine's write of the next request is not cut short by the worker it wakes,
    and dispatching never waits behind a step. Nice values are unchanged.
    """
    policy = getattr(os, "SCHED_BATCH", None)
    if policy is not None:
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, policy, os.sched_param(0))


def _end_with_steps(signum: int, frame: object) -> None:
    """The engine died (or asked us to end): take the running step's processes along."""
    sweep_children()
    os._exit(1)


def _contain() -> None:
    """Make this worker the keeper of its steps' processes.

    It runs one step at a time, so any child it has besides the step's own process
    is an orphan of that step (a subreaper adopts them): they are killed when the
    step ends, and, through the parent-death signal, when the engine dies.
    """
    become_subreaper()
    signal.signal(signal.SIGTERM, _end_with_steps)
    libc = _libc()
    if libc is not None and os.uname().sysname == "Linux":
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _max_rss_mib() -> float:
    from ..._config import config

    return float(config["worker_max_rss_mb"])


def _warm_for(memory: ImportMemory, replies: int, template_name: str, template: OPTemplate) -> None:
    """Import what earlier steps of ``template`` imported (see ``warm_imports``), or exit.

    A worker that must not import more (over its memory limit) or may not fork any
    more (the imports started threads) says why and exits; the engine replaces it and
    sends the step to another worker.
    """
    if memory.should_retire(template_name):
        send_frame(replies, ("retire", f"worker RSS {rss_mib():.0f} MiB above {memory.max_rss_mib:.0f} MiB"))
        os._exit(0)
    if template_name in memory.learned:
        reason = memory.warm(template_name, template.envs)
        if reason:
            send_frame(replies, ("unsafe", template_name, reason))
            os._exit(0)
        gc.freeze()


def _worker_loop(requests: int, replies: int, templates: dict[str, OPTemplate]) -> None:
    """Runs in a worker process: one request at a time, one forked child per request."""
    _batch_policy()
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGINT, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    _contain()
    retitle("dflow-like worker")
    preload_for(templates.values())  # in parallel with the engine, not in every step
    gc.freeze()  # a child's collections then never walk (and write to) inherited objects
    memory = ImportMemory(_max_rss_mib())
    memory.seed(templates)
    report = ReportFile()
    jsonpickle_loaded = False
    warmed = served = 0
    while True:
        warmed = _warm_while_idle(requests, warmed, served)
        message = _receive(requests)
        if message is None:
            os._exit(0)
        if message[0] == "prefetch":  # import a later template's modules while idle (``workers``)
            began = time.perf_counter()
            _warm_for(memory, replies, message[1], templates[message[1]])
            send_frame(replies, ("warmed", message[1], time.perf_counter() - began))
            continue
        spec_json, template_name, log_path, jsonpickle, warm = message
        if not jsonpickle_loaded and (jsonpickle or may_need_jsonpickle(spec_json)):
            load_jsonpickle()  # once a value needed it; later children inherit it
            jsonpickle_loaded = True
        if warm:
            _warm_for(memory, replies, template_name, templates[template_name])
        if len(memory.known) != len(sys.modules):
            memory.known = set(sys.modules)  # what this child inherits
        # Between fork and exit, every page either process writes is copied: the
        # child parses its spec and announces itself; the worker only waits.
        pid = os.fork()
        if pid == 0:
            send_frame(replies, ("started", os.getpid()))
            os.close(requests)
            os.close(replies)
            after = _reporter(memory.known, report) if warm else None
            _child(spec_json, templates[template_name], log_path, after)
        _, status = os.waitpid(pid, 0)
        sweep_children()  # what the step left running ends with it, as a pod's containers do
        if warm:
            memory.learn(template_name, report.read())
        send_frame(replies, ("exited", status))
        served += 1


def _warm_while_idle(requests: int, warmed: int, served: int) -> int:
    """Warm the runner up (``warmup``) while no request is waiting, in step with use.

    A round costs a few milliseconds and saves each later step about a tenth of that,
    so a worker earns one round per ``STEPS_PER_ROUND`` steps it has run (up to
    ``ROUNDS``): a short workflow (the EOS example runs ~8 steps per worker) no longer
    pays the whole warm-up in every worker, a long one is warm after a few dozen steps,
    and a waiting step is never held up by more than the round under way.
    Returns the rounds done so far.
    """
    while warmed < min(ROUNDS, served // STEPS_PER_ROUND) and not select.select([requests], [], [], 0)[0]:
        warm_runner(1)
        gc.freeze()
        warmed += 1
    return warmed


def _reporter(known: set[str], report: ReportFile) -> Any:
    def after(spec: StepSpec) -> None:
        with contextlib.suppress(Exception):
            report.write(new_modules(known, spec.attempt_dir))

    return after
