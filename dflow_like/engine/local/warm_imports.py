"""Imports a worker learns from its steps, so that each is paid once per worker.

Before its first step of a template, a worker imports what that OP's ``execute`` names
in ``import`` statements (read from bytecode, with the functions of the OP's own
package it calls). After each step, the step's child reports the modules it imported
(at the top of the OP's module, inside ``execute``, from ``__main__`` or a notebook, a
library's lazy imports: wherever); before the worker forks the next child of the same
template it imports them itself, so that child, and every later one, inherits them
loaded. For sliced templates the engine imports the named modules once, before it
forks the workers (``preload_for_fan_outs``). Each step still runs in its own forked
process.

Libraries not fork-safe after import: after importing a template's modules the
worker takes a thread census (``fork_safety``). If it may no longer fork, it reports
the template and exits; the engine replaces it with a clean worker and never warms
that template again (its steps import what they need in their own process, as every
step did before). ``PythonOPTemplate(..., warm_imports=False)`` chooses this from the
start.

Memory: a worker that already holds other templates' imports and is above
``config["worker_max_rss_mb"]`` (default 1024 MiB) retires rather than importing
more; a clean worker takes its place. A template's own imports are never refused.

Modules imported under a template's ``envs`` are imported with those variables set.
Output and warnings of an import in the worker are discarded (the child that first
imported the module wrote them to its step's log).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .fork_safety import Census
from .import_hints import static_imports
from .stop import blocked_terminate

__all__ = [
    "NO_ENGINE_PRELOAD",
    "PRELOADING",
    "ImportMemory",
    "ReportFile",
    "fan_out_templates",
    "new_modules",
    "preload_died",
    "preload_for_fan_outs",
    "rss_mib",
    "skip_preload_after_death",
]

_SKIP = ("__main__", "__mp_main__")


def new_modules(known: set[str], attempt_dir: str) -> list[str]:
    """Names a step's process imported beyond ``known`` that another process can import by name.

    New modules are the newest entries of ``sys.modules``: reading it from the end
    never touches (and so never copies) the inherited ones. Modules without a spec
    (made at run time) and files under the step's own attempt directory (its workdir
    is on no other step's path) are left out.
    """
    extra = len(sys.modules) - len(known)
    names: list[str] = []
    if extra <= 0:
        return names
    inside = os.path.join(os.path.abspath(attempt_dir), "")
    for name in reversed(sys.modules):
        if name in known:
            continue
        extra -= 1
        module = sys.modules[name]
        path = getattr(module, "__file__", None)
        if name in _SKIP or module is None or getattr(module, "__spec__", None) is None:
            pass
        elif not (isinstance(path, str) and os.path.abspath(path).startswith(inside)):
            names.append(name)
        if not extra:
            break
    return names[::-1]


class ReportFile:
    """An in-memory file a worker shares with its children (closed on ``exec``): each
    child writes the modules it imported at offset 0, the worker reads them after it."""

    def __init__(self) -> None:
        if hasattr(os, "memfd_create"):
            self.fd = os.memfd_create("dflow-like-imports")
        else:
            import tempfile

            self.fd, path = tempfile.mkstemp(prefix="dflow-like-imports-")
            os.unlink(path)
            os.set_inheritable(self.fd, False)
        self.identity = self._identity()

    def _identity(self) -> tuple[int, int]:
        info = os.fstat(self.fd)
        return info.st_dev, info.st_ino

    def write(self, names: list[str]) -> None:
        """The child's side. Written only while the fd is still this file: a step that
        closed it and opened one of its own under the same number keeps its file intact."""
        if names:
            with contextlib.suppress(OSError):
                if self._identity() == self.identity:
                    os.pwrite(self.fd, "\n".join(names).encode(), 0)

    def read(self) -> list[str]:
        size = os.fstat(self.fd).st_size
        if not size:
            return []
        data = os.pread(self.fd, size, 0)
        os.ftruncate(self.fd, 0)
        return [name for name in data.decode(errors="replace").split("\n") if name]


def rss_mib() -> float:
    """This process's resident set size, in MiB (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


@contextlib.contextmanager
def _quiet(envs: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in envs}
    os.environ.update(envs)
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class ImportMemory:
    """A worker's record of what each template's steps imported, and what it imported itself."""

    def __init__(self, max_rss_mib: float) -> None:
        self.max_rss_mib = max_rss_mib
        self.learned: dict[str, list[str]] = {}
        self.applied: dict[str, int] = {}  # how many of a template's names this worker imported
        self.failed: set[str] = set()
        self.known = set(sys.modules)  # what every child inherits (read-only there)

    def seed(self, templates: Mapping[str, Any]) -> None:
        """What each Python OP's ``execute`` imports, as far as its bytecode says."""
        for name, template in templates.items():
            op_class = getattr(template, "op_class", None)
            if op_class is not None and getattr(template, "warm_imports", True):
                with contextlib.suppress(Exception):  # a guess: never worth failing a worker
                    self.learn(name, static_imports(op_class))

    def learn(self, template: str, names: list[str]) -> None:
        if names:
            mine = self.learned.setdefault(template, [])
            mine.extend(n for n in names if n not in self.failed and n not in sys.modules)

    def should_retire(self, template: str) -> bool:
        """Whether this worker is over its memory limit with other templates' imports in it."""
        pending = len(self.learned.get(template, ())) > self.applied.get(template, 0)
        others = any(count for name, count in self.applied.items() if name != template)
        return pending and others and rss_mib() > self.max_rss_mib

    def warm(self, template: str, envs: Mapping[str, str]) -> str:
        """Import what ``template``'s steps imported; return why forking is now unsafe, or ""."""
        names = self.learned.get(template, [])
        start = self.applied.get(template, 0)
        if start >= len(names):
            return ""
        census = Census()
        with _quiet(envs):
            for name in names[start:]:
                if name in sys.modules or name in self.failed:
                    continue
                try:
                    importlib.import_module(name)
                except BaseException:  # a module that only imports in its step stays the step's
                    self.failed.add(name)
        self.applied[template] = len(names)
        self.known = set(sys.modules)
        return census.unsafe_after()


NO_ENGINE_PRELOAD = "DFLOW_LIKE_NO_ENGINE_PRELOAD"  # set when the engine restarted without it
PRELOADING = "engine-preloading"  # in the run's directory while the engine imports for fan-outs: the module


def preload_died(root: str | os.PathLike[str]) -> str:
    """The module an earlier engine of this run was importing for fan-outs when it ended ("" if none).

    An import that ends or crashes the process (a library that segfaults when forked from,
    a module calling ``os._exit``) took that engine down before it forked any worker; its
    marker file stayed behind."""
    try:
        with open(os.path.join(root, PRELOADING)) as handle:
            return handle.read().strip() or "?"
    except OSError:
        return ""


def skip_preload_after_death(root: str | os.PathLike[str]) -> None:
    """In a new engine of a run whose last engine died importing for fan-outs: import
    nothing ahead this time (``NO_ENGINE_PRELOAD``), so each step imports in its own
    process and such an import fails that step, with its exit status and log."""
    ended_in = preload_died(root)
    if ended_in:
        print(f"engine: the run's previous engine ended importing {ended_in} for its fan-outs; not importing ahead")
        os.environ[NO_ENGINE_PRELOAD] = "1"
        os.unlink(os.path.join(root, PRELOADING))


def fan_out_templates(templates: Mapping[str, Any]) -> list[Any]:
    """The sliced templates whose imports the engine makes before forking its workers."""
    if os.environ.get(NO_ENGINE_PRELOAD):
        return []
    return [
        template
        for template in templates.values()
        if getattr(template, "op_class", None) is not None
        and getattr(template, "slices", None) is not None
        and getattr(template, "warm_imports", True)
    ]


def preload_for_fan_outs(
    templates: Mapping[str, Any], root: str, before_restart: Callable[[], None] = lambda: None
) -> None:
    """In the engine, before it forks its workers: import what sliced templates' ``execute``
    names, once for every worker rather than once in each (their first steps all start
    together). Should that start threads (the rule above), the engine restarts itself
    without this; the workers then apply the rule template by template."""
    census = Census()
    marker = os.path.join(root, PRELOADING)
    for template in fan_out_templates(templates):
        with _quiet(getattr(template, "envs", {}) or {}):
            for name in static_imports(template.op_class):
                if name in sys.modules:
                    continue
                with contextlib.suppress(OSError), open(marker, "w") as handle:
                    handle.write(name)  # left behind if this import ends the process (``preload_died``)
                with contextlib.suppress(BaseException):
                    importlib.import_module(name)
    with contextlib.suppress(OSError):
        os.unlink(marker)
    reason = census.unsafe_after()
    if reason:
        print(f"engine: {reason} while importing what sliced steps import; restarting without that", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os.environ[NO_ENGINE_PRELOAD] = "1"
        before_restart()
        os.chdir(root)
        _resend_credentials()  # the new engine reads them from its stdin again
        blocked_terminate()  # as its launcher started it: until the new engine listens for it
        # the engine's own command line: a forked engine's ``orig_argv`` is its caller's
        os.execv(sys.executable, [sys.executable, "-m", "dflow_like.engine.local", *sys.argv[1:]])


def _resend_credentials() -> None:
    """Put this engine's credentials back on its stdin (a pipe: never on disk) for ``execv``."""
    from ..._credentials import known_credentials, write_credentials

    readable, writable = os.pipe()
    write_credentials(writable, known_credentials())  # small: fits the pipe's buffer, then closed
    os.dup2(readable, 0)
    os.close(readable)
