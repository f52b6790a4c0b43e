"""OPs that import, inside ``execute``, modules the warm-import tests write at run time."""

from __future__ import annotations

import importlib
import os

from dflow_like.python import OP


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
def uses_module(name: str) -> {"pid": int}:  # type: ignore[valid-type]  # noqa: F821
    importlib.import_module(name)
    return {"pid": os.getpid()}
