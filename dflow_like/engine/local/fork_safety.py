"""Whether a process is still safe to ``fork()`` from after an import.

``fork()`` copies only the calling thread, so a lock another thread holds stays held
in the child forever. ``Census`` counts threads before an import and judges after it:
no new Python thread, and new native threads only where an OpenBLAS library the import
loaded explains them (OpenBLAS stops and restarts its pool around ``fork()``); OpenMP,
CUDA, MPI, NCCL and TBB runtimes never excuse them. Linux reads ``/proc``; elsewhere
only Python threads are counted.
"""

from __future__ import annotations

import _thread
import os

__all__ = ["Census", "fork_hazard"]

_FORK_SAFE_POOLS = ("openblas",)
_UNSAFE_RUNTIMES = ("libgomp", "libiomp", "libomp", "libcuda", "libmpi", "libnccl", "libtbb")


def _native_threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 1


def _libraries() -> set[str]:
    try:
        with open("/proc/self/maps") as fh:
            return {line.split(None, 5)[5].strip() for line in fh if line.count(" ") >= 5 and ".so" in line}
    except OSError:
        return set()


class Census:
    """Threads and shared libraries now, to compare after an import."""

    def __init__(self) -> None:
        self.python = _thread._count()
        self.native = _native_threads()
        self.libraries = _libraries()

    def unsafe_after(self) -> str:
        """Why this process is no longer safe to fork from ("" when it is)."""
        python = _thread._count() - self.python
        if python > 0:
            return f"the import started {python} Python thread(s)"
        native = _native_threads() - self.native
        if native <= 0:
            return ""
        loaded = [os.path.basename(lib) for lib in _libraries() - self.libraries]
        unsafe = [lib for lib in loaded if lib.startswith(_UNSAFE_RUNTIMES)]
        pools = [lib for lib in loaded if any(p in lib.lower() for p in _FORK_SAFE_POOLS)]
        if pools and not unsafe:
            return ""
        libraries = [lib for lib in loaded if ".cpython-" not in lib and ".abi3." not in lib] or loaded
        culprits = f" (loaded {', '.join(sorted(unsafe or libraries)[:5])})" if loaded else ""
        return f"the import started {native} native thread(s){culprits}"


def fork_hazard() -> str:
    """Why forking this process now is unsafe ("" when it is safe): the census rule above,
    against a process that runs one thread (its own)."""
    python = _thread._count()
    if python > 0:
        return f"the process runs {python} other Python thread(s)"
    native = _native_threads() - 1
    if native <= 0:
        return ""
    loaded = [os.path.basename(lib) for lib in _libraries()]
    unsafe = sorted(lib for lib in loaded if lib.startswith(_UNSAFE_RUNTIMES))
    if unsafe:
        return f"the process runs {native} native thread(s) and has loaded {', '.join(unsafe[:5])}"
    if any(p in lib.lower() for lib in loaded for p in _FORK_SAFE_POOLS):
        return ""
    return f"the process runs {native} native thread(s) of unknown origin"
