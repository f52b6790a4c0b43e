"""OPs that import, inside ``execute``, modules the warm-import tests write at run time."""

from __future__ import annotations

import importlib
import os
from typing import Any

from dflow_like.python import OP

_OPEN: list[Any] = []


@OP.function
def uses_counted(x: int) -> {"pid": int, "calls": int}:  # type: ignore[valid-type]  # noqa: F821
    import warm_counted  # type: ignore[import-not-found]

    warm_counted.calls += 1  # a step's changes to a module stay in its own process
    return {"pid": os.getpid(), "calls": warm_counted.calls}


@OP.function
def uses_threaded(x: int) -> {"y": int}:  # type: ignore[valid-type]  # noqa: F821
    import warm_threaded  # type: ignore[import-not-found]

    return {"y": warm_threaded.compute(x)}


@OP.function
def uses_fatal(x: int) -> {"y": int}:  # type: ignore[valid-type]  # noqa: F821
    import warm_fatal  # type: ignore[import-not-found]  # noqa: F401

    return {"y": x}


@OP.function
def uses_module(name: str) -> {"pid": int}:  # type: ignore[valid-type]  # noqa: F821
    importlib.import_module(name)
    return {"pid": os.getpid()}


@OP.function
def closes_fds(name: str, directory: str) -> {"pid": int}:  # type: ignore[valid-type]  # noqa: F821
    """Closes every inherited descriptor, opens files of its own, then imports ``name``."""
    os.closerange(3, 256)
    handles = [open(os.path.join(directory, f"{i}.txt"), "w") for i in range(32)]  # noqa: SIM115
    _OPEN.extend(handles)  # still open when the step's process reports its imports
    for handle in handles:
        handle.write("mine")
        handle.flush()
    importlib.import_module(name)
    return {"pid": os.getpid()}
