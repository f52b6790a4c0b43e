"""Which templates' imports a worker makes ahead of their steps (``workers.WorkerPool``).

No asyncio here: the engine reads the plan before it forks its workers (``daemon``),
and a worker holds only what steps need.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

from ...graph.template import OPTemplate
from .import_hints import static_imports

__all__ = ["early_plan", "prefetch_plan"]


def prefetch_plan(templates: dict[str, OPTemplate]) -> list[str]:
    """Templates whose ``execute`` names modules this engine has not imported, in order.

    Sliced ones are left out: the engine imported theirs before forking the workers
    (``warm_imports.preload_for_fan_outs``), and their items occupy every worker anyway.
    """
    plan = []
    for name, template in templates.items():
        op_class = getattr(template, "op_class", None)
        if op_class is None or getattr(template, "slices", None) is not None:
            continue
        if not getattr(template, "warm_imports", True):
            continue
        with contextlib.suppress(Exception):  # a guess: never worth failing the run
            if any(_missing(module) for module in static_imports(op_class)):
                plan.append(name)
    return plan


def early_plan(templates: dict[str, OPTemplate], fan_outs: list[Any], slots: int) -> list[str]:
    """Templates to prefetch on workers forked before the engine imports what fan-outs need.

    That import (``warm_imports.preload_for_fan_outs``) keeps one CPU busy and leaves the
    others idle. A worker forked before it can meanwhile import a later template's
    modules, on another CPU, rather than later beside the fan-out's steps: a plotting
    step that uses matplotlib alone gets it while the engine imports ASE for the items.
    Chosen: templates of the usual prefetch (``prefetch_plan``) that name no package the
    fan-outs name, at most ``slots``, in the workflow's order. Such a worker lacks the
    fan-outs' imports, so a template that shares a package with them would import in
    its step what the engine already holds: ASE's EOS fit imports SciPy lazily, which
    ``ase.io`` brought into every other worker (measured: a plot step that refitted with
    it took 0.43-0.48 s on such a worker, 0.17-0.19 s on the others). So ``PlotEOS``
    draws ``FitEOS``'s fit and does not fit: matplotlib is all it names.
    """
    if slots < 1 or not fan_outs:
        return []
    shared: set[str] = set()
    with contextlib.suppress(Exception):  # a guess: never worth failing the run
        for template in fan_outs:
            shared.update(name.partition(".")[0] for name in static_imports(template.op_class))
    chosen: list[str] = []
    for name in prefetch_plan(templates):
        with contextlib.suppress(Exception):
            op_class = getattr(templates[name], "op_class", None)
            packages = {module.partition(".")[0] for module in static_imports(op_class)}
            if packages and not packages & shared and len(chosen) < slots:
                chosen.append(name)
    return chosen


def _missing(name: str) -> bool:
    """Whether ``name`` (a module, or a name ``from`` one: ``matplotlib.figure.Figure``) is not loaded."""
    if name in sys.modules:
        return False
    parent, _, last = name.rpartition(".")
    return not (parent in sys.modules and hasattr(sys.modules[parent], last))
