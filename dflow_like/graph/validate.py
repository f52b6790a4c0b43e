"""Check a whole workflow before anything runs; every problem names where it is."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from ..expr import template_references
from .collect import TemplateTable
from .dag import DAG, Task
from .errors import DefinitionError
from .step import Step
from .steps import Steps
from .template import OPTemplate

__all__ = ["check_workflow", "find_cycle", "workflow_problems"]


def _texts(step: Step) -> list[tuple[str, str]]:
    """(field label, template text) of every argument that holds references (``{{``)."""
    out = [(f"parameter {n!r}", t) for n, t in step.parameters.items() if "{{" in t]
    out += [(f"artifact {n!r}", a) for n, a in step.artifacts.items() if isinstance(a, str) and "{{" in a]
    out += [(label, t) for label, t in (("when", step.when), ("key", step.key), ("with_param", step.with_param)) if t]
    return out


def _check_reference(
    ref: str, template: OPTemplate, visible: Mapping[str, Step], scope: str, all_names: Collection[str]
) -> str | None:
    parts = ref.split(".")
    head = parts[0]
    if head == "inputs" and len(parts) >= 3:
        fields = template.inputs.parameters if parts[1] == "parameters" else template.inputs.artifacts
        if parts[2] not in fields:
            return f"refers to {ref!r}, but template {template.name!r} has no input {parts[1][:-1]} {parts[2]!r}"
        return None
    if head in ("steps", "tasks") and len(parts) >= 2:
        if head != scope:
            inside = "DAG" if head == "tasks" else "Steps"
            return f"refers to {ref!r}, but {head!r} references are only valid inside a {inside}"
        target = visible.get(parts[1])
        if target is None:
            where = "an earlier stage of" if parts[1] in all_names and scope == "steps" else ""
            if where:
                return f"refers to {ref!r}, but step {parts[1]!r} is not in {where} template {template.name!r}"
            return f"refers to {ref!r}, but there is no step {parts[1]!r} in template {template.name!r}"
        if len(parts) >= 5 and parts[2] == "outputs":
            fields = (
                target.template.outputs.parameters if parts[3] == "parameters" else target.template.outputs.artifacts
            )
            if parts[4] not in fields:
                known = ", ".join(fields) or "none"
                what = f"output {parts[3][:-1]} {parts[4]!r}"
                return f"refers to {ref!r}, but step {parts[1]!r} has no {what} (it has: {known})"
    return None


def _where(step: Step, template: OPTemplate) -> str:
    return f"step {step.name!r} of template {template.name!r}"


def _step_problems(
    step: Step, template: OPTemplate, visible: Mapping[str, Step], scope: str, names: Collection[str]
) -> list[str]:
    if not isinstance(step.template, OPTemplate):
        return [f"step {step.name!r}: template is not a template"]
    problems = []
    for label, text in _texts(step):
        for ref in template_references(text):
            msg = _check_reference(ref, template, visible, scope, names)
            if msg:
                problems.append(f"{_where(step, template)}: {label} {msg}")
    problem = getattr(step.executor, "definition_problem", None)  # an executor that cannot run here says why
    if callable(problem):
        problems.append(f"{_where(step, template)}: {problem()}")
    for missing in step.missing_inputs():
        problems.append(f"{_where(step, template)}: required input {missing} is not given and has no default")
    if step.slices is not None:
        where = _where(step, template)
        declared = set(step.template.inputs.parameters) | set(step.template.inputs.artifacts)
        for name in step.slices.input_parameter + step.slices.input_artifact:
            if name not in declared:
                problems.append(f"{where}: Slices names input {name!r}, which the template does not declare")
        outs = set(step.template.outputs.parameters) | set(step.template.outputs.artifacts)
        for name in step.slices.output_parameter + step.slices.output_artifact:
            if name not in outs:
                problems.append(f"{where}: Slices names output {name!r}, which the template does not declare")
    return problems


def _steps_problems(template: Steps) -> list[str]:
    problems: list[str] = []
    names = {s.name for s in template.all_steps()}
    seen: dict[str, Step] = {}
    for stage in template.steps:
        for step in stage:
            if step.name in seen:
                problems.append(f"template {template.name!r}: duplicate step name {step.name!r}")
        for step in stage:
            problems += _step_problems(step, template, seen, "steps", names)
        for step in stage:
            seen[step.name] = step
    return problems


def _dag_problems(template: DAG, found: dict[int, list[str]] | None = None) -> list[str]:
    problems: list[str] = []
    tasks: dict[str, Task] = {}
    for task in template.tasks:
        if task.name in tasks:
            problems.append(f"template {template.name!r}: duplicate task name {task.name!r}")
        tasks[task.name] = task
    names = tasks.keys()  # not a copy per task: that made validation quadratic (issue 18)
    graph: dict[str, list[str]] = {}  # the tasks so far: a dependency found here comes earlier
    ordered = True  # every dependency on an earlier task: no cycle, nothing to search
    for task in template.tasks:  # one pass, one lookup per dependency: at 10,000 tasks each costs a cache miss
        problems += _step_problems(task, template, tasks, "tasks", names)
        deps: list[str] = []
        explicit = len(task.explicit_dependencies)  # the first of task.dependencies
        for i, dep in enumerate(task.dependencies):
            if dep in graph:
                deps.append(dep)
            elif dep in tasks:
                deps.append(dep)
                ordered = False
            elif i < explicit:  # an unknown task named by a reference is the reference's problem
                problems.append(f"task {task.name!r} of template {template.name!r}: depends on unknown task {dep!r}")
        graph[task.name] = deps
        if found is not None:
            found[id(task)] = deps
    cycle = [] if ordered else find_cycle(graph)
    if cycle:
        problems.append(f"template {template.name!r}: dependency cycle {_cycle_text(cycle)}")
    return problems


def find_cycle(graph: Mapping[str, list[str]]) -> list[str]:
    """One cycle as ``[a, b, ..., a]`` (or ``[]``); iterative, so a 10,000-task chain is no recursion."""
    position = {name: i for i, name in enumerate(graph)}
    if all(position.get(d, -1) < i for i, deps in enumerate(graph.values()) for d in deps):
        return []  # every edge points to an earlier node (a graph built in order): no cycle, no search
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in graph:
        if start in state:
            continue
        path = [start]
        state[start] = 1
        stack = [iter(graph.get(start, []))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(graph.get(nxt, [])))
    return []


def _cycle_text(cycle: list[str], shown: int = 5) -> str:
    """``a -> b -> a``; a long cycle (thousands of tasks) keeps its ends and says how long it is."""
    if len(cycle) <= 2 * shown + 1:
        return " -> ".join(cycle)
    head, tail = " -> ".join(cycle[:shown]), " -> ".join(cycle[-shown:])
    return f"{head} -> ... -> {tail} ({len(cycle) - 1} tasks)"


def workflow_problems(table: TemplateTable) -> list[str]:
    problems: list[str] = []
    for _, template in table:
        if isinstance(template, Steps):
            problems += _steps_problems(template)
        elif isinstance(template, DAG):
            problems += _dag_problems(template, table.dependencies)
    return problems


def check_workflow(workflow_name: str, table: TemplateTable) -> None:
    """Raise ``DefinitionError`` listing every problem, prefixed with the workflow's name."""
    problems = workflow_problems(table)
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise DefinitionError(f"workflow {workflow_name!r} cannot run:\n{lines}")
