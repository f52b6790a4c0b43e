"""``python -m dflow_like.runner.packed [--pool N] ATTEMPT_DIR...``: the items of one Slurm job.

A Slurm job that packs several items of a sliced step (``group_size``) used to start
a fresh interpreter per item (``python -m dflow_like.runner``), so every item paid
the interpreter, dflow_like and the OP's modules (ASE, scipy: a second or more) again.
This process pays them once: it loads the first item's template (which imports the
OP's module), imports what the OP's ``execute`` names (``import_hints``), then forks
one child per item, ``N`` at a time. Each child does exactly what a fresh runner did
(``remote_entry.run_attempt``): its own log, ``started``, environment, ``exit_code``;
and it reports what it imported, which this process imports before the next fork,
as the local engine's warm workers do (``engine/local/warm_imports``).

The fork-safety rule is the local engine's (``engine/local/fork_safety``): should
importing start a thread (or an OpenMP, CUDA, MPI... runtime), this process forks no
more and runs each remaining item in a fresh interpreter, as before, saying why in the
job's log; ``PythonOPTemplate(..., warm_imports=False)`` chooses this from the start
(this process then imports only the OP's module, and never forks after it). A child that dies without writing its
``exit_code`` (a signal, ``os._exit``) gets one written for it (``128 + signal``) and
an ``error.txt`` saying so, where the job used to report such an item as succeeded.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import cloudpickle

from ..engine.local.fork_safety import Census
from ..engine.local.warm_imports import ImportMemory, ReportFile, new_modules
from . import codes
from .namespace import restore_main_namespace, use_sys_path
from .remote_entry import run_attempt
from .step_process import leave_child, log_to

__all__ = ["main", "packed_command"]

_TEMPLATE = "template"  # ImportMemory's key: every item of a job runs the same template
_NO_LIMIT = float("inf")  # a job's imports end with the job: no worker to recycle


def packed_command(python: list[str], attempts: list[str], pool: int) -> list[str]:
    """The command that runs ``attempts`` in one job, ``pool`` at a time."""
    return [*python, "-m", "dflow_like.runner.packed", "--pool", str(pool), *attempts]


def _fresh(attempt: str) -> int:
    """A fresh interpreter for one item, as an unpacked job runs it."""
    argv = [sys.executable, "-m", "dflow_like.runner", "--log", f"{attempt}/log.txt", attempt]
    return os.posix_spawn(sys.executable, argv, os.environ)


def _forked(attempt: str, report: ReportFile, known: set[str]) -> int:
    """A forked child for one item; never returns in the child."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid

    def body() -> int:
        log_to(f"{attempt}/log.txt")
        code = run_attempt(Path(attempt))
        report.write(new_modules(known, attempt))
        return code

    leave_child(body)


class _Packer:
    """Loads the template once, then starts items forked while that stays safe."""

    def __init__(self, first: Path) -> None:
        self.census = Census()
        self.memory = ImportMemory(_NO_LIMIT)
        self.report = ReportFile()
        self.envs: dict[str, str] = {}
        self.unsafe = self._load(first)

    def _load(self, first: Path) -> str:
        """Import the OP's module and what its ``execute`` names; why forking is unsafe, or ""."""
        try:
            launch = first / "launch.json"
            if launch.exists():
                import json

                use_sys_path(json.loads(launch.read_text())["sys_path"])
            with open(first / "template.pkl", "rb") as fh:
                data: dict[str, Any] = cloudpickle.load(fh)
            restore_main_namespace(data["namespace"])
        except BaseException as exc:  # each item meets (and logs) this in a process of its own
            return f"loading the template failed ({type(exc).__name__}: {exc})"
        template = data["template"]
        if not getattr(template, "warm_imports", True):
            return "the template has warm_imports=False"
        self.envs = dict(getattr(template, "envs", None) or {})
        self.memory.seed({_TEMPLATE: template})
        self.memory.warm(_TEMPLATE, self.envs)
        self.memory.known = set(sys.modules)  # what every child inherits
        return self.census.unsafe_after()

    def start(self, attempt: str) -> int:
        if not self.unsafe:
            learned = self.memory.warm(_TEMPLATE, self.envs)
            if learned:
                self.unsafe = learned
                print(f"packed job: {learned}; the remaining items start fresh interpreters", flush=True)
        if self.unsafe:
            return _fresh(attempt)
        return _forked(attempt, self.report, self.memory.known)

    def ended(self) -> None:
        """An item ended: learn what it imported (read before the next fork)."""
        if not self.unsafe:
            self.memory.learn(_TEMPLATE, self.report.read())


def _record_end(attempt: Path, status: int) -> None:
    """An item that ended without its ``exit_code`` (killed, ``os._exit``) gets one, and why."""
    if (attempt / "exit_code").exists():
        return
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        why = f"the item's process was killed by signal {signal.Signals(-code).name} (exit code {128 - code})"
        code = 128 - code
    else:
        why = f"the item's process exited with code {code} before the runner wrote its exit code"
    if not (attempt / "error.txt").exists():
        (attempt / "error.txt").write_text(why)
    (attempt / "exit_code").write_text(str(code))


def run(attempts: list[str], pool: int) -> None:
    """Run every item, ``pool`` at a time; each leaves its ``exit_code``."""
    packer = _Packer(Path(attempts[0]))
    if packer.unsafe:
        print(f"packed job: {packer.unsafe}; each item starts a fresh interpreter", flush=True)
    running: dict[int, str] = {}
    todo = list(attempts)
    while todo or running:
        while todo and len(running) < pool:
            attempt = todo.pop(0)
            running[packer.start(attempt)] = attempt
        pid, status = os.waitpid(-1, 0)
        attempt = running.pop(pid, "")
        if not attempt:
            continue  # not an item (every child here is one; defensive)
        _record_end(Path(attempt), status)
        packer.ended()


def main(argv: list[str]) -> int:
    args = list(argv)
    pool = 1
    if len(args) >= 2 and args[0] == "--pool":
        pool = int(args[1])
        args = args[2:]
    if not args or pool < 1:
        print("usage: python -m dflow_like.runner.packed [--pool N] ATTEMPT_DIR...", file=sys.stderr)
        return codes.ERROR
    began = time.time()
    run(args, pool)
    print(f"packed job: {len(args)} items in {time.time() - began:.2f} s", flush=True)
    return 0  # each item's outcome is its exit_code file


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
