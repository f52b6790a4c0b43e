"""Start a run's engine by forking the submitting process, when that is safe.

A spawned engine is a second interpreter that imports again what the caller already
imported (the OPs' modules, their libraries: ASE, SciPy... about half a second for the
EOS example). A forked one inherits them: its workers, and every step they fork, start
with the caller's modules loaded. It is still the same engine: it reads the same
``workflow.pkl`` and ``state.db``, outlives the caller and resumes as a spawned one does.

Forking is used only where it is safe and cheap (``why_not_fork`` says why not; the
engine is then spawned as before):

- Linux, and ``config["engine_start"]`` is ``"auto"`` (``"spawn"`` always spawns);
- the caller runs no other thread (a Jupyter kernel does): ``fork()`` copies only the
  calling thread, and a lock another thread held would stay held in the engine. A
  BLAS pool alone is allowed, under the rule of ``fork_safety`` (OpenBLAS stops and
  restarts its threads around ``fork()``);
- the caller's resident memory is at most half of ``config["worker_max_rss_mb"]``:
  every worker and step fork copies the page tables of all the caller holds;
- the run plans at most ``FORK_MAX_STEPS`` steps (fan-out items counted where the
  definition tells them): each step is forked from a worker that carries the caller's
  whole image, which costs ~0.7 ms more per step than a spawned worker (``bench/scale.py``
  at 10k items: 2.5 against 1.8 ms per item). Past ~1,000 steps that outweighs the
  start-up a fork saves (the imports: half a second for the EOS example);
- the caller was not started with a credential in its environment
  (``DFLOW_LIKE_S3_SECRET_KEY``...): ``/proc/<pid>/environ`` of every process forked
  from it would show it, and credentials stay out of steps' environments.

In the forked engine, before anything else (``become_engine``): a session of its own
(as the spawned one has), stdin from the credentials pipe, stdout and stderr to
``engine.log``; every other inherited descriptor pointed at ``/dev/null`` (a pipe the
caller's parent reads to its end is not held open; the numbers stay taken, so an
inherited object that later closes its descriptor closes nothing of the engine's);
the caller's Python signal handlers, ``atexit`` handlers, root logging handlers,
warning filters, exception hooks, trace functions and credential environment
variables dropped for a new interpreter's; inherited garbage frozen (``gc.freeze``),
so no finalizer of the caller's objects runs in the engine. It ends with ``os._exit``:
nothing of the caller's interpreter teardown runs there either. Should the fork itself
have started a thread (a library's ``os.register_at_fork`` handler), the engine
re-executes itself as a new interpreter before it forks anything.
"""

from __future__ import annotations

import atexit
import contextlib
import faulthandler
import gc
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..._config import config
from ..._credentials import CREDENTIAL_ENV
from .fork_safety import fork_hazard
from .stop import blocked_terminate
from .titles import retitle
from .warm_imports import rss_mib

__all__ = ["become_engine", "fork_engine", "why_not_fork"]

FORK_MAX_STEPS = 1000  # above it a spawned engine's lighter workers win (see the module docstring)

_KEPT: list[Any] = []  # the caller's stream objects, kept alive: never finalized in the engine


def why_not_fork(planned_steps: int | None = None) -> str:
    """Why this process should spawn its engine rather than fork it ("" when forking is fine).

    ``planned_steps``: the run's steps as its plan counts them (None: not known).
    """
    start = str(config["engine_start"]).strip().lower()
    if start == "spawn":
        return 'config["engine_start"] is "spawn"'
    if start != "auto":
        raise ValueError(f'config["engine_start"]: expected "auto" or "spawn", got {config["engine_start"]!r}')
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return f"forking the engine is used on Linux only (this is {sys.platform})"
    if planned_steps is not None and planned_steps > FORK_MAX_STEPS:
        return f"the run plans {planned_steps} steps, above {FORK_MAX_STEPS}: spawned workers cost less per step"
    hazard = fork_hazard()
    if hazard:
        return hazard
    exposed = _credentials_in_initial_environment()
    if exposed:  # a fork keeps the block /proc/self/environ shows, in every step: a new interpreter does not
        return f"this process was started with {', '.join(exposed)} in its environment"
    limit = float(config["worker_max_rss_mb"]) / 2
    rss = rss_mib()
    if rss > limit:
        return f"the caller holds {rss:.0f} MiB, above half of worker_max_rss_mb ({limit:.0f} MiB)"
    return ""


def _credentials_in_initial_environment() -> list[str]:
    """Credential variables in the environment this process was started with.

    ``os.environ.pop`` does not clear them there: ``/proc/<pid>/environ`` shows the
    block the process started with, and every process forked from it inherits it.
    """
    try:
        with open("/proc/self/environ", "rb") as fh:
            block = fh.read()
    except OSError:
        return []
    found = []
    for entry in block.split(b"\0"):
        name, sep, value = entry.partition(b"=")
        if sep and value and name.decode(errors="replace") in CREDENTIAL_ENV:
            found.append(name.decode())
    return found


def fork_engine(
    args: list[str],
    log_path: Path,
    credentials_in: int,
    env: Mapping[str, str],
    run: Callable[[list[str]], int],
) -> int:
    """Fork; in the child become the engine (``become_engine``), exit with the code of ``run(args)``.

    ``args`` are the engine's command line (``WORKFLOW_DIR [--resume]``).

    Returns the engine's pid in the caller. The child never returns into the caller's code.
    """
    for stream in (sys.stdout, sys.stderr):  # else the child holds a copy of unwritten output
        with contextlib.suppress(Exception):
            stream.flush()
    mask = blocked_terminate()  # until the engine listens for it (``stop.StopRequest``)
    try:
        with warnings.catch_warnings():  # Python 3.12+ warns of any thread; a BLAS pool passed the rule above
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        raise
    if pid:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        return pid
    code = 1  # pragma: no cover - the engine process (its coverage is the tests' runs)
    try:  # pragma: no cover
        become_engine(args, log_path, credentials_in, env)
        code = run(args)
    except BaseException:  # pragma: no cover
        with contextlib.suppress(Exception):
            import traceback

            traceback.print_exc()
    finally:  # pragma: no cover
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def become_engine(args: list[str], log_path: Path, credentials_in: int, env: Mapping[str, str]) -> None:
    """Turn a freshly forked copy of the caller into a daemon engine (see the module docstring)."""
    gc.freeze()  # first: no collection may finalize an inherited object from now on
    os.setsid()
    _reset_signals()
    _redirect(log_path, credentials_in)
    atexit._clear()
    _drop_root_logging()
    _fresh_hooks()
    for name in [n for n in os.environ if n not in env]:
        os.environ.pop(name, None)  # the credential variables, which the spawned engine lacks too
    for name, value in env.items():
        if os.environ.get(name) != value:
            os.environ[name] = value
    sys.argv = [str(Path(__file__).with_name("__main__.py")), *args]  # as ``python -m`` sets it
    with contextlib.suppress(OSError):
        os.chdir(args[0])  # as the spawned engine, until it reads where the caller was
    retitle(f"dflow-like engine {Path(args[0]).name}")
    hazard = fork_hazard()
    if hazard:  # a library's fork handler started threads here: the engine's own forks would be unsafe
        print(f"engine: forked, but {hazard}; starting as a new interpreter instead", file=sys.stderr, flush=True)
        os.execv(sys.executable, [sys.executable, "-m", "dflow_like.engine.local", *args])  # stdin still unread


def _reset_signals() -> None:
    """The dispositions a freshly started interpreter would have: the caller's Python
    handlers go (``exec`` drops them too); ignored signals stay ignored, as across ``exec``."""
    with contextlib.suppress(ValueError, OSError):
        signal.set_wakeup_fd(-1)
    for sig in signal.valid_signals():
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            handler = signal.getsignal(sig)
            if callable(handler) and handler is not signal.default_int_handler:
                signal.signal(sig, signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL)
    with contextlib.suppress(Exception):
        faulthandler.cancel_dump_traceback_later()
    if faulthandler.is_enabled():
        faulthandler.disable()  # it wrote to the caller's stderr; re-enabled on the log below if asked


def _redirect(log_path: Path, credentials_in: int) -> None:
    """stdin from the credentials pipe, stdout and stderr to the engine log, the rest to /dev/null."""
    os.dup2(credentials_in, 0)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in _open_descriptors():
        if fd > 2 and fd != null:
            with contextlib.suppress(OSError):
                os.dup2(null, fd, inheritable=False)
    os.close(null)
    _KEPT.extend((sys.stdin, sys.stdout, sys.stderr, sys.__stdin__, sys.__stdout__, sys.__stderr__))
    streams = {
        "stdin": open(0, encoding="utf-8", closefd=False),  # noqa: SIM115
        "stdout": open(1, "w", encoding="utf-8", errors="backslashreplace", closefd=False),  # noqa: SIM115
        "stderr": open(2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False),  # noqa: SIM115
    }
    for name, stream in streams.items():
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
    if os.environ.get("PYTHONFAULTHANDLER"):
        faulthandler.enable(sys.stderr)


def _fresh_hooks() -> None:
    """Warning filters, exception hooks and tracing as a new interpreter has them.

    A test runner's ``-W error`` (or a caller's ``catch_warnings(record=True)``) must not
    turn the engine's own warnings into errors, nor send them to the caller's list.
    """
    warnings.resetwarnings()
    if sys.flags.dev_mode:
        warnings.simplefilter("default")
    else:  # CPython's defaults (Python/_warnings.c, init_filters)
        warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.simplefilter("ignore", category=category, append=True)
    for option in os.environ.get("PYTHONWARNINGS", "").split(","):
        with contextlib.suppress(Exception):
            if option.strip():
                warnings._setoption(option.strip())  # type: ignore[attr-defined]
    warnings.showwarning = warnings._showwarning_orig  # type: ignore[attr-defined]
    if getattr(warnings._showwarnmsg_impl, "__module__", None) != "warnings":  # type: ignore[attr-defined]
        warnings._showwarnmsg_impl = _show_on_stderr  # type: ignore[attr-defined]
    sys.excepthook, sys.unraisablehook = sys.__excepthook__, sys.__unraisablehook__
    sys.settrace(None)
    sys.setprofile(None)
    threading.excepthook = threading.__excepthook__
    threading.settrace(None)  # type: ignore[arg-type]
    threading.setprofile(None)  # type: ignore[arg-type]


def _show_on_stderr(message: warnings.WarningMessage) -> None:
    """What ``warnings`` does with a warning to show (its own ``_showwarnmsg_impl``)."""
    file = message.file or sys.stderr
    with contextlib.suppress(OSError):
        file.write(warnings._formatwarnmsg(message))  # type: ignore[attr-defined]


def _open_descriptors() -> list[int]:
    try:
        return sorted(int(name) for name in os.listdir("/proc/self/fd"))
    except OSError:
        return list(range(3, 1024))


def _drop_root_logging() -> None:
    """A fresh interpreter has no logging handlers (warnings go to stderr, the log)."""
    logging = sys.modules.get("logging")
    if logging is not None:
        root = logging.getLogger()
        _KEPT.extend(root.handlers)
        root.handlers.clear()
