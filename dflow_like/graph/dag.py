"""``DAG`` and ``Task``: a graph form; dependencies given or inferred from references."""

from __future__ import annotations

from typing import Any

from ..expr import template_references
from .context import building, forget_auto_added
from .io import Inputs, Outputs
from .keywords import check_keywords
from .step import Step
from .template import OPTemplate

__all__ = ["DAG", "Task"]


class Task(Step):
    """A step of a ``DAG``; its outputs are referred to as ``{{tasks.NAME...}}``."""

    is_task = True

    def __init__(self, name: str, template: OPTemplate, dependencies: list[Any] | None = None, **kwargs: Any) -> None:
        self.explicit_dependencies = [d if isinstance(d, str) else d.name for d in dependencies or []]
        super().__init__(name, template, **kwargs)

    def referenced_tasks(self) -> list[str]:
        """Tasks named by this task's arguments, ``when``, ``key`` or ``with_param``."""
        names: list[str] = []
        for text in (*self.parameters.values(), *self.artifacts.values(), self.when, self.key, self.with_param):
            if not isinstance(text, str) or "{{" not in text:  # most arguments are literals
                continue
            for ref in template_references(text):
                parts = ref.split(".")
                if parts[0] == "tasks" and len(parts) > 1 and parts[1] not in names:
                    names.append(parts[1])
        return names

    @property
    def dependencies(self) -> list[str]:
        deps = list(self.explicit_dependencies)
        referenced = self.referenced_tasks()
        if referenced:
            known = set(deps)
            deps += [n for n in referenced if n not in known]
        return deps


class DAG(OPTemplate):
    """Tasks run as soon as the tasks they depend on have finished."""

    kind = "dag"

    def __init__(
        self,
        name: str | None = None,
        inputs: Inputs | None = None,
        outputs: Outputs | None = None,
        tasks: list[Task] | None = None,
        parallelism: int | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs = check_keywords(f"DAG {name!r}", kwargs, [DAG.__init__, OPTemplate.__init__])
        super().__init__(name=name or "dag", inputs=inputs, outputs=outputs, parallelism=parallelism, **kwargs)
        self.tasks: list[Task] = []
        for task in tasks or []:
            self.add(task)

    def add(self, task: Task | list[Task]) -> None:
        tasks = list(task) if isinstance(task, (list, tuple)) else [task]
        for t in tasks:
            forget_auto_added(t)
        self.tasks.extend(tasks)

    def __enter__(self) -> DAG:
        """``with DAG(...) as dag:``: tasks created in the block are added to it (dflow's ``DAG.__enter__``)."""
        self._building = building(self)
        self._building.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.__dict__.pop("_building").__exit__(*exc)  # not kept: templates are pickled
