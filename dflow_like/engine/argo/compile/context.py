"""One compile: the template table, the options, and the templates emitted so far."""

from __future__ import annotations

from typing import Any

from ....graph.collect import TemplateTable
from ....graph.dag import DAG
from ....graph.script_templates import ScriptOPTemplate
from ....graph.step import Step
from ....graph.steps import Steps
from ....graph.template import OPTemplate
from ....python.template import PythonOPTemplate
from .containers import dag_template, steps_template
from .errors import CompileError
from .leaves import python_template, script_template
from .options import CompileOptions
from .thresholds import CHECK_TEMPLATE, check_call, check_template, threshold_of

__all__ = ["Context"]


class Context:
    """Compiles every template of ``table`` once, plus the gather variants calls ask for."""

    def __init__(self, table: TemplateTable, opts: CompileOptions) -> None:
        self.table = table
        self.opts = opts
        self.current_tasks: set[str] = set()
        self.looped: dict[str, Step] = {}  # looped steps of the Steps/DAG template being compiled
        self.used: set[str] = set()  # names called as themselves (not as a gather variant)
        self._variants: dict[int, tuple[str, PythonOPTemplate]] = {}
        self._checks = False  # whether any step has a success threshold (one check template)

    def dependencies(self, task: Step) -> list[str]:
        """The task's dependencies among the DAG's tasks: as validation found them, when it ran
        (taken from the table: the node owns and extends that list)."""
        known = self.table.dependencies.pop(id(task), None)
        if known is not None:
            return known
        return [d for d in task.dependencies if d in self.current_tasks]  # type: ignore[attr-defined]

    def check(self, step: Step, node: dict[str, Any], scope: str) -> dict[str, Any] | None:
        """The check step after ``step``'s loop, if it has a success threshold; one template serves all."""
        threshold = threshold_of(step)
        if threshold is None:
            return None
        if CHECK_TEMPLATE in self.table.by_name:
            raise CompileError(f"template name {CHECK_TEMPLATE!r} is reserved for success-threshold checks")
        self._checks = True
        return check_call(step, node, scope, threshold)

    def template_name(self, template: OPTemplate, gather: bool = False) -> str:
        base = self.table.name_of(template)
        if not gather:
            self.used.add(base)
            return base
        known = self._variants.get(id(template))
        if known is not None:
            return known[0]
        name, n = f"{base}-items", 1
        taken = set(self.table.by_name) | {v[0] for v in self._variants.values()}
        while name in taken:
            n += 1
            name = f"{base}-items-{n}"
        assert isinstance(template, PythonOPTemplate)
        self._variants[id(template)] = (name, template)
        return name

    def compile_all(self, roots: list[OPTemplate]) -> list[dict[str, Any]]:
        """Every template reachable from ``roots``; a Python OP only called in loops with
        output artifacts appears only as its gather variant."""
        for root in roots:
            self.template_name(root)
        compiled = [(name, template, self._compile(name, template)) for name, template in self.table]
        kept = [c for name, t, c in compiled if name in self.used or not isinstance(t, PythonOPTemplate)]
        kept += [python_template(n, t, self.opts, gather=True) for n, t in self._variants.values()]
        if self._checks:
            kept.append(check_template(self.opts))
        return kept

    def python_templates(self) -> dict[str, PythonOPTemplate]:
        """Name → template of every Python OP pod template emitted (what the bundle carries)."""
        out = {n: t for n, t in self.table if isinstance(t, PythonOPTemplate) and n in self.used}
        out.update({n: t for n, t in self._variants.values()})
        return out

    def _compile(self, name: str, template: OPTemplate) -> dict[str, Any]:
        if isinstance(template, PythonOPTemplate):
            return python_template(name, template, self.opts, gather=False)
        if isinstance(template, ScriptOPTemplate):
            return script_template(name, template, self.opts)
        if isinstance(template, Steps):
            return steps_template(name, template, self)
        if isinstance(template, DAG):
            return dag_template(name, template, self)
        raise CompileError(f"template {name!r}: a {type(template).__name__} cannot be compiled for Argo")
