"""``limits={"memory": ...}`` on the local engine: parsed here, enforced in the step's process.

Kubernetes enforces a pod's memory limit with a cgroup, and so does the local engine
where the machine lets it make one (``engine.local.cgroups``). Elsewhere each step gets
an address-space limit (``RLIMIT_AS``), from here: allocations beyond it fail
(``MemoryError`` in Python, a failed ``malloc`` in native code). A Python
OP's process is forked from a warm worker that already maps the interpreter and the
user's modules, so its limit is what it inherited plus the step's limit; a script's
command starts afresh (``exec``) and gets the limit itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["MEMORY_KEY", "limit_memory", "memory_hook", "parse_memory"]

MEMORY_KEY = "memory_limit"  # in ``StepSpec.extra``: bytes, or absent

_UNITS = {
    "": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}  # fmt: skip
_QUANTITY = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?(?:[eE][0-9]+)?)\s*([kMGTPE]i?)?\s*$")


def parse_memory(value: object, owner: str) -> int:
    """A Kubernetes memory quantity ("256Mi", "1G", "1e9", 1048576) in bytes."""
    match = _QUANTITY.match(str(value))
    if match is None or isinstance(value, bool):
        raise ValueError(
            f"{owner}: limits['memory'] = {value!r}; expected a Kubernetes quantity such as '256Mi', '2Gi' or '500M'"
        )
    size = int(float(match.group(1)) * _UNITS[match.group(2) or ""])
    if size <= 0:
        raise ValueError(f"{owner}: limits['memory'] = {value!r}; expected a positive size")
    return size


def _mapped_bytes() -> int:
    """This process's address space now (``VmSize``), 0 where ``/proc`` does not say."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def limit_memory(size: int, inherited: bool) -> None:
    """Cap this process's address space: ``size`` more than now, or ``size`` in all."""
    import resource

    total = size + (_mapped_bytes() if inherited else 0)
    resource.setrlimit(resource.RLIMIT_AS, (total, total))


def memory_hook(extra: dict[str, object]) -> Callable[[], None] | None:
    """A ``preexec_fn`` that caps a script's command (``None`` without a limit)."""
    size = extra.get(MEMORY_KEY)
    if not isinstance(size, int):
        return None
    return lambda: limit_memory(size, inherited=False)
