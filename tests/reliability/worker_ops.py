"""OPs of the worker-pool reliability tests (importable: the engine finds them by reference)."""

from __future__ import annotations

import os
from pathlib import Path

from dflow_like.python import OP
from tests.polling import gate as _gate


@OP.function
def worker_pid(x: int) -> {"worker": int}:  # type: ignore[valid-type]  # noqa: F821
    return {"worker": os.getppid()}  # a step's parent is the worker that forked it


@OP.function
def gate(directory: str) -> {"worker": int}:  # type: ignore[valid-type]  # noqa: F821
    """Tells the test its worker (``worker-<attempt>``) and waits for ``open``."""
    attempts = len(list(Path(directory).glob("worker-*")))
    partial = Path(directory) / f".partial-{attempts + 1}"
    partial.write_text(str(os.getppid()))
    partial.replace(Path(directory) / f"worker-{attempts + 1}")  # the test never reads half a pid
    _gate(Path(directory) / f"open-{attempts + 1}")
    return {"worker": os.getppid()}
