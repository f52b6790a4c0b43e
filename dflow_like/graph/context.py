"""dflow's context style: ``with Workflow(...) as wf:`` / ``with DAG(...) as dag:``.

Inside the block every ``Step``/``Task`` created is added to the innermost open container
(dflow's ``Step.__init__`` ends with ``GLOBAL_CONTEXT.current_workflow.add(self)``,
``dflow/step.py``), and calling an ``@OP.function`` or a template creates a step there
(dflow's ``OP.function`` ``__call__``, ``dflow/python/op.py``). Differences, on purpose:

* containers nest: leaving an inner ``with DAG()`` returns to the outer workflow (dflow's
  single global context is reset to "none" instead);
* a step that is later added explicitly (``wf.add(step)``, ``steps.add(step)``) moves
  there instead of running twice;
* generated step names are ``name``, ``name-2``, ... rather than ``name-<random>``, so
  ``query_step(name=...)`` finds them.

The stack lives in a ``ContextVar`` (per thread and per asyncio task), empty by default.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from .errors import DefinitionError

if TYPE_CHECKING:
    from .step import Step
    from .template import OPTemplate

__all__ = ["building", "call_in_context", "current_container", "forget_auto_added", "register", "suspended"]

_OPEN: ContextVar[tuple[Any, ...]] = ContextVar("dflow_like_open_containers", default=())
_AUTO = "_auto_added_to"  # attribute on a step: the container the context added it to


class _Open:
    """An open container and the steps the context added to it (marked until the block ends)."""

    def __init__(self, container: Any) -> None:
        self.container = container
        self.added: list[Any] = []


@contextlib.contextmanager
def building(container: Any) -> Iterator[None]:
    """Make ``container`` (a ``Workflow``, ``Steps`` or ``DAG``) receive new steps."""
    frame = _Open(container)
    token = _OPEN.set((*_OPEN.get(), frame))
    try:
        yield
    finally:
        _OPEN.reset(token)
        for step in frame.added:  # the marks only serve moves inside the block: never pickled
            step.__dict__.pop(_AUTO, None)


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """No container receives steps (steps made while compiling or validating are internal)."""
    token = _OPEN.set((None,))  # a None frame: nothing open
    try:
        yield
    finally:
        _OPEN.reset(token)


def _current() -> _Open | None:
    stack = _OPEN.get()
    return stack[-1] if stack else None


def current_container() -> Any:
    frame = _current()
    return frame.container if frame is not None else None


def register(step: Step) -> None:
    """Add a just-created step to the open container, if any (dflow's context style)."""
    frame = _current()
    if frame is None:
        return
    frame.container.add(step)
    setattr(step, _AUTO, frame.container)
    frame.added.append(step)


def _entry(container: Any) -> Any:
    return container.entrypoint if hasattr(container, "entrypoint") else container


def forget_auto_added(step: Any) -> None:
    """Take a context-added step out of where the context put it (it is being placed explicitly)."""
    owner = getattr(step, _AUTO, None)  # not step.__dict__: reading it makes each step carry a dict
    if owner is None:
        return
    delattr(step, _AUTO)
    entry = _entry(owner)
    if hasattr(entry, "tasks"):
        entry.tasks[:] = [t for t in entry.tasks if t is not step]
    elif hasattr(entry, "steps"):
        stages = [[s for s in stage if s is not step] for stage in entry.steps]
        entry.steps[:] = [stage for stage in stages if stage]


def _wants_tasks(container: Any) -> bool:
    """Whether a step made by a call goes into a DAG (``Task``) or a ``Steps`` (``Step``)."""
    from .dag import DAG

    entry = _entry(container)
    if getattr(container, "_implicit_entrypoint", False):
        return True  # dflow's calls always make Tasks: an empty workflow becomes a DAG
    return isinstance(entry, DAG)


def _unique_name(container: Any, base: str) -> str:
    entry = _entry(container)
    taken = {s.name for s in getattr(entry, "tasks", [])}
    taken |= {s.name for stage in getattr(entry, "steps", []) for s in stage}
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def call_in_context(template: OPTemplate, base_name: str, inputs: dict[str, Any], step_kwargs: dict[str, Any]) -> Step:
    """The step that calling ``template`` with ``inputs`` makes in the open container."""
    from .dag import Task
    from .step import Step

    container = current_container()
    if container is None:
        raise DefinitionError(
            f"calling {base_name!r} makes a step, which needs an open container: "
            "use it inside `with Workflow(...) as wf:` (or `with Steps(...)`/`with DAG(...)`)"
        )
    declared_a = template.inputs.artifacts
    parameters = {k: v for k, v in inputs.items() if k not in declared_a}
    artifacts = {k: v for k, v in inputs.items() if k in declared_a}
    name = step_kwargs.pop("name", None) or _unique_name(container, base_name)
    kind = Task if _wants_tasks(container) else Step
    return kind(name, template, parameters=parameters, artifacts=artifacts, **step_kwargs)
