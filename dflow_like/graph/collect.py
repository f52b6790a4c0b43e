"""Find every template reachable from an entrypoint and give each a unique name."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence

from .dag import DAG
from .step import Step
from .steps import Steps
from .template import OPTemplate

__all__ = ["TemplateTable", "children_of"]


def children_of(template: OPTemplate) -> Sequence[Step]:
    """The steps a ``Steps``/``DAG`` calls (read only: a DAG's own list, not a copy, which
    would touch each of 10,000 tasks once more)."""
    if isinstance(template, Steps):
        return template.all_steps()
    if isinstance(template, DAG):
        return template.tasks
    return ()


class TemplateTable:
    """Templates by unique name; the same object always gets the same name.

    Two different templates that share a name (e.g. two ``PythonOPTemplate`` of one
    OP with different images) get ``name``, ``name-2``, ... in discovery order, so
    compiled manifests are deterministic.
    """

    def __init__(self, entrypoint: OPTemplate, on_exit: OPTemplate | None = None) -> None:
        self.entrypoint = entrypoint
        self.on_exit = on_exit
        self._names: dict[int, str] = {}
        self.by_name: dict[str, OPTemplate] = {}
        # id(task) → its dependencies among its DAG's tasks, as validation found them (the
        # compiler of the same call reuses them rather than parsing every argument again)
        self.dependencies: dict[int, list[str]] = {}
        self._visit(entrypoint)
        if on_exit is not None:
            self._visit(on_exit)

    def _visit(self, root: OPTemplate) -> None:
        queue = deque([root])  # breadth first; a list's pop(0) made 10,000 tasks quadratic
        while queue:
            template = queue.popleft()
            if id(template) in self._names:
                continue
            self._names[id(template)] = self._unique(template.name or template.kind)
            self.by_name[self._names[id(template)]] = template
            last = None  # steps in a row often share their template: seen once is enough
            for step in children_of(template):
                if step.template is not last:
                    last = step.template
                    if id(last) not in self._names:
                        queue.append(last)

    def _unique(self, base: str) -> str:
        name, n = base, 1
        while name in self.by_name:
            n += 1
            name = f"{base}-{n}"
        return name

    def name_of(self, template: OPTemplate) -> str:
        return self._names[id(template)]

    def __iter__(self) -> Iterator[tuple[str, OPTemplate]]:
        return iter(self.by_name.items())

    def __len__(self) -> int:
        return len(self.by_name)
