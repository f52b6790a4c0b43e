"""Semantic lint of an Argo Workflow manifest: what ``argo lint`` checks on a cluster.

The JSON schema checks shape only. This checks meaning, offline: references to
templates resolve, names are valid and unique, DAGs have no cycles, and every
``{{...}}`` (or ``{{=...}}`` expression) names something that exists where it is
used. Where Argo's own lint is lax but the run would fail (a step reading the
output of a step in the same stage, a task reading a task it does not depend on,
``{{item}}`` outside a loop), this reports it too. Every message names the
template (and step or task) and the offending value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ._dag import dag_dependencies, find_cycle
from ._refs import Reference, expression_references, string_references
from ._scope import (
    Scope,
    global_scope,
    item_scope,
    names_of,
    node_outputs,
    template_scope,
    template_type,
)

__all__ = ["lint_manifest"]

_FIELD_NAME = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")  # Argo workflowFieldNameFmt
_PARAM_NAME = re.compile(r"^[-a-zA-Z0-9_]+$")  # Argo paramOrArtifactNameRegex
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_FIELD_MAX = 128
_WORKFLOW_NAME_MAX = 63  # Argo: the name is also a label value
_GENERATED_SUFFIX = 5  # Kubernetes appends 5 random characters to generateName
_RETRY_POLICIES = {"Always", "OnError", "OnFailure", "OnTransientError", ""}
_EXPRESSION_KEYS = {"expression", "fromExpression"}
_ARTIFACT_SOURCES = {
    "s3", "git", "http", "artifactory", "hdfs", "raw", "oss", "gcs", "azure", "plugin", "from",
    "fromExpression", "url",
}  # fmt: skip
_ARG_ARTIFACT_SOURCES = _ARTIFACT_SOURCES | {"key"}


def lint_manifest(manifest: dict[str, Any]) -> list[str]:
    """Every semantic problem found in ``manifest``, as human-readable messages."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("spec"), dict):
        return ["manifest has no 'spec' mapping"]
    return _Linter(manifest).run()


class _Linter:
    def __init__(self, manifest: dict[str, Any]) -> None:
        self.manifest = manifest
        self.spec: dict[str, Any] = manifest["spec"]
        self.templates: dict[str, dict[str, Any]] = {}
        self.problems: list[str] = []
        self.globals = global_scope(manifest)

    def run(self) -> list[str]:
        self._check_metadata()
        self._index_templates()
        self._check_entrypoints()
        for template in self.spec.get("templates") or []:
            self._check_template(template)
        return self.problems

    def report(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    # -- workflow level -----------------------------------------------------------

    def _check_metadata(self) -> None:
        meta = self.manifest.get("metadata") or {}
        name, prefix = meta.get("name"), meta.get("generateName")
        if not name and not prefix:
            self.report("metadata", "needs 'name' or 'generateName'")
        if name:
            self._check_object_name("metadata.name", str(name), _WORKFLOW_NAME_MAX)
        elif prefix:
            stem = str(prefix).rstrip("-") or str(prefix)
            limit = _WORKFLOW_NAME_MAX - _GENERATED_SUFFIX
            self._check_object_name("metadata.generateName", stem, limit, shown=str(prefix))

    def _check_object_name(self, where: str, name: str, limit: int, shown: str = "") -> None:
        shown = shown or name
        if not _DNS1123_SUBDOMAIN.match(name):
            self.report(
                where,
                f"{shown!r} is not a valid Kubernetes name (lowercase letters, digits, '-' "
                "and '.', starting and ending with a letter or digit)",
            )
        if len(shown) > limit:
            self.report(where, f"{shown!r} is longer than {limit} characters ({len(shown)})")

    def _index_templates(self) -> None:
        for i, template in enumerate(self.spec.get("templates") or []):
            name = str(template.get("name") or "")
            where = f"spec.templates[{i}]"
            if not name:
                self.report(where, "template has no name")
                continue
            self._check_field_name(where, "template name", name)
            if name in self.templates:
                self.report(f"template {name!r}", "template name is not unique")
            self.templates[name] = template

    def _check_entrypoints(self) -> None:
        entry = self.spec.get("entrypoint")
        if self.spec.get("workflowTemplateRef"):
            return
        if not entry:
            self.report("spec.entrypoint", "is required")
        elif entry not in self.templates:
            self.report("spec.entrypoint", self._missing_template(str(entry)))
        else:
            args = self.spec.get("arguments") or {}
            self._check_required_inputs("spec.arguments", args, self.templates[entry])
        on_exit = self.spec.get("onExit")
        if on_exit and on_exit not in self.templates:
            self.report("spec.onExit", self._missing_template(str(on_exit)))
        self._check_hooks("spec.hooks", self.spec.get("hooks"))

    def _missing_template(self, name: str) -> str:
        known = ", ".join(sorted(self.templates)) or "none"
        return f"template {name!r} is not defined (templates: {known})"

    # -- templates -----------------------------------------------------------------

    def _check_template(self, template: dict[str, Any]) -> None:
        name = str(template.get("name") or "?")
        where = f"template {name!r}"
        kind = template_type(template)
        if kind is None:
            found = [k for k in ("container", "script", "steps", "dag") if k in template]
            self.report(where, "needs exactly one template type (container, script, steps, "
                        f"dag, resource, suspend, ...), found {found or 'none'}")  # fmt: skip
        self._check_io_names(where, template)
        self._check_template_fields(where, template, kind)
        scope = template_scope(template, self.globals)
        if kind == "steps":
            self._check_steps(where, template, scope)
        elif kind == "dag":
            self._check_dag(where, template, scope)
        else:
            self._check_refs(where, template, scope)

    def _check_io_names(self, where: str, template: Mapping[str, Any]) -> None:
        for section in ("inputs", "outputs"):
            block = template.get(section) or {}
            for kind in ("parameters", "artifacts"):
                self._check_param_names(f"{where} {section}.{kind}", block.get(kind))

    def _check_param_names(self, where: str, entries: Any) -> None:
        seen: set[str] = set()
        for name in names_of(entries):
            if not _PARAM_NAME.match(name):
                self.report(where, f"name {name!r} is invalid: use letters, digits, '_' or '-'")
            if name in seen:
                self.report(where, f"name {name!r} is not unique")
            seen.add(name)

    def _check_template_fields(self, where: str, template: Mapping[str, Any], kind: Any) -> None:
        leaf = kind not in ("steps", "dag")
        if not leaf and template.get("activeDeadlineSeconds") is not None:
            self.report(where, "activeDeadlineSeconds is only valid for leaf templates")
        if leaf and template.get("parallelism") is not None:
            self.report(where, "parallelism is only valid for steps and dag templates")
        timeout = template.get("timeout")
        if timeout and not leaf:
            self.report(where, f"{kind} templates do not support 'timeout'")
        if isinstance(timeout, str) and timeout.strip().isdigit():
            self.report(where, f"timeout {timeout!r} needs a unit (e.g. '{timeout}s')")
        policy = (template.get("retryStrategy") or {}).get("retryPolicy", "")
        if policy not in _RETRY_POLICIES:
            self.report(where, f"retryPolicy {policy!r} is not one of {sorted(_RETRY_POLICIES - {''})}")
        has_defaults = bool(self.spec.get("templateDefaults"))
        for body in ("container", "script"):
            if kind == body and not (template[body] or {}).get("image") and not has_defaults:
                self.report(where, f"{body}.image may not be empty")
        self._check_output_parameters(where, template, leaf)

    def _check_output_parameters(self, where: str, template: Mapping[str, Any], leaf: bool) -> None:
        kind = template_type(template)
        for param in (template.get("outputs") or {}).get("parameters") or []:
            name, source = param.get("name"), param.get("valueFrom")
            if source is None and param.get("value") is None:
                self.report(where, f"output parameter {name!r} has neither value nor valueFrom")
            elif isinstance(source, dict):
                needed = _missing_output_source(source, kind)
                if needed:
                    self.report(where, f"output parameter {name!r} needs valueFrom.{needed}")

    def _check_field_name(self, where: str, what: str, name: str) -> None:
        if len(name) > _FIELD_MAX:
            self.report(where, f"{what} {name[:40]!r}... is longer than {_FIELD_MAX} characters")
        if not _FIELD_NAME.match(name):
            self.report(
                where,
                f"{what} {name!r} is invalid: letters, digits and '-', starting with a letter or digit",
            )

    # -- steps ---------------------------------------------------------------------

    def _check_steps(self, where: str, template: dict[str, Any], base: Scope) -> None:
        seen: set[str] = set()
        earlier = base.copy()
        all_outputs = base.copy()
        for i, group in enumerate(template.get("steps") or []):
            group_outputs = Scope()
            for step in group if isinstance(group, list) else []:
                step_where = self._step_header(where, "step", step, seen, f"steps[{i}]")
                if step_where is None:
                    continue
                outputs = self._check_call(step_where, step, "steps", earlier)
                group_outputs.update(outputs)
            earlier.update(group_outputs)
            all_outputs.update(group_outputs)
        rest = {k: v for k, v in template.items() if k != "steps"}
        self._check_refs(where, rest, all_outputs)

    def _step_header(self, where: str, what: str, node: Any, seen: set[str], index: str) -> str | None:
        if not isinstance(node, dict) or not node.get("name"):
            self.report(where, f"{index}: {what} has no name")
            return None
        name = str(node["name"])
        self._check_field_name(where, f"{what} name", name)
        if name in seen:
            self.report(where, f"{what} name {name!r} is not unique")
        seen.add(name)
        return f"{where}, {what} {name!r}"

    # -- dag -----------------------------------------------------------------------

    def _check_dag(self, where: str, template: dict[str, Any], base: Scope) -> None:
        tasks = [t for t in (template.get("dag") or {}).get("tasks") or [] if isinstance(t, dict)]
        if not tasks:
            self.report(where, "dag must have at least one task")
        seen: set[str] = set()
        headers = {}
        for i, task in enumerate(tasks):
            header = self._step_header(where, "task", task, seen, f"dag.tasks[{i}]")
            if header:
                headers[str(task["name"])] = header
        by_name = {str(t["name"]): t for t in tasks if t.get("name")}
        deps = self._dag_dependencies(where, tasks, headers, by_name)
        all_outputs = base.copy()
        for name, task in by_name.items():
            task_scope = base.over(Scope())
            for ancestor in _referenced_ancestors(name, task, deps):
                task_scope.update(self._outputs_of(f"tasks.{ancestor}", by_name[ancestor]))
            self._check_call(headers[name], task, "tasks", task_scope)
            all_outputs.update(self._outputs_of(f"tasks.{name}", task, aggregate=False))
        self._check_targets(where, template, by_name)
        rest = {k: v for k, v in template.items() if k != "dag"}
        rest["dag"] = {k: v for k, v in template["dag"].items() if k != "tasks"}
        self._check_refs(where, rest, all_outputs)

    def _dag_dependencies(
        self,
        where: str,
        tasks: list[dict[str, Any]],
        headers: dict[str, str],
        by_name: dict[str, dict[str, Any]],
    ) -> dict[str, list[str]]:
        uses_depends = any(t.get("depends") for t in tasks)
        deps: dict[str, list[str]] = {}
        for name, task in by_name.items():
            header = headers[name]
            if uses_depends and task.get("dependencies"):
                self.report(header, "cannot use both 'depends' and 'dependencies' in one DAG")
            if uses_depends and task.get("continueOn"):
                self.report(header, "cannot use 'continueOn' with 'depends' (use 'X.Failed')")
            if (uses_depends or task.get("dependencies")) and name[:1].isdigit():
                self.report(header, "task name cannot begin with a digit when using dependencies")
            deps[name] = []
            for dep in dag_dependencies(task):
                if dep not in by_name:
                    self.report(header, f"depends on task {dep!r}, which is not defined")
                else:
                    deps[name].append(dep)
        cycle = find_cycle(deps)
        if cycle:
            self.report(where, f"dependency cycle: {' -> '.join(cycle)}")
        return deps

    def _check_targets(self, where: str, template: Mapping[str, Any], by_name: Mapping[str, Any]) -> None:
        target = (template.get("dag") or {}).get("target") or ""
        for name in str(target).split():
            if "{{" not in name and name not in by_name:
                self.report(where, f"dag target {name!r} is not a task")

    # -- a step or task calling a template ---------------------------------------------

    def _check_call(self, where: str, node: dict[str, Any], kind: str, scope: Scope) -> Scope:
        """Check one step/task; return the names its outputs add for later ones."""
        callee = self._callee(where, node)
        loops = [k for k in ("withItems", "withParam", "withSequence") if node.get(k)]
        if len(loops) > 1:
            self.report(where, f"only one of withItems, withParam, withSequence: found {loops}")
        sequence = node.get("withSequence") or {}
        if "count" in sequence and "end" in sequence:
            self.report(where, "withSequence takes either 'count' or 'end', not both")
        args = node.get("arguments") or {}
        self._check_arguments(where, args)
        if callee is not None:
            self._check_required_inputs(where, args, callee)
        own = node_outputs(f"{kind}.{node['name']}", callee, aggregate=bool(loops))
        node_scope = scope.over(item_scope(node))
        body = {k: v for k, v in node.items() if k != "hooks"}
        self._check_refs(where, body, node_scope, kind=kind)
        hooks_scope = node_scope.over(own)
        self._check_hooks(where, node.get("hooks"))
        self._check_refs(where, node.get("hooks") or {}, hooks_scope, kind=kind)
        return own

    def _callee(self, where: str, node: Mapping[str, Any]) -> dict[str, Any] | None:
        name = node.get("template")
        if node.get("templateRef") is not None or node.get("inline") is not None:
            if name:
                self.report(where, "'template' cannot be given with 'templateRef'/'inline'")
            inline = node.get("inline")
            return inline if isinstance(inline, dict) else None
        if not name:
            self.report(where, "names no template (template, templateRef or inline)")
            return None
        if name not in self.templates:
            self.report(where, self._missing_template(str(name)))
            return None
        return self.templates[name]

    def _outputs_of(self, prefix: str, node: Mapping[str, Any], aggregate: bool = True) -> Scope:
        callee = self.templates.get(str(node.get("template")))
        if node.get("templateRef") is not None or node.get("inline") is not None:
            callee = node.get("inline")
        loops = aggregate and any(node.get(k) for k in ("withItems", "withParam", "withSequence"))
        return node_outputs(prefix, callee, aggregate=loops)

    def _check_arguments(self, where: str, args: Mapping[str, Any]) -> None:
        self._check_param_names(f"{where} arguments.parameters", args.get("parameters"))
        self._check_param_names(f"{where} arguments.artifacts", args.get("artifacts"))
        for param in args.get("parameters") or []:
            if param.get("value") is None and param.get("valueFrom") is None:
                self.report(where, f"argument parameter {param.get('name')!r} has no value")
        for art in args.get("artifacts") or []:
            if not _ARG_ARTIFACT_SOURCES & set(art):
                self.report(where, f"argument artifact {art.get('name')!r} has no 'from' or location")

    def _check_required_inputs(self, where: str, args: Mapping[str, Any], callee: Mapping[str, Any]) -> None:
        given_params = set(names_of(args.get("parameters")))
        given_arts = set(names_of(args.get("artifacts")))
        inputs = callee.get("inputs") or {}
        callee_name = callee.get("name")
        for param in inputs.get("parameters") or []:
            provided = param.get("value") is not None or param.get("default") is not None
            if not provided and param.get("valueFrom") is None and param["name"] not in given_params:
                self.report(where, f"does not pass input parameter {param['name']!r} "
                            f"required by template {callee_name!r}")  # fmt: skip
        for art in inputs.get("artifacts") or []:
            has_source = bool(_ARTIFACT_SOURCES & set(art)) or art.get("optional")
            if not has_source and art.get("name") not in given_arts:
                self.report(where, f"does not pass input artifact {art.get('name')!r} "
                            f"required by template {callee_name!r}")  # fmt: skip

    def _check_hooks(self, where: str, hooks: Any) -> None:
        for event, hook in (hooks or {}).items():
            if not isinstance(hook, dict):
                continue
            if event != "exit" and not hook.get("expression"):
                self.report(where, f"hook {event!r} needs an 'expression'")
            name = hook.get("template")
            if name and hook.get("templateRef") is None and name not in self.templates:
                self.report(f"{where} hook {event!r}", self._missing_template(str(name)))

    # -- references ------------------------------------------------------------------

    def _check_refs(self, where: str, value: Any, scope: Scope, kind: str = "") -> None:
        reported: set[str] = set()
        for ref in _references(value):
            if scope.allows(ref) or ref.name in reported:
                continue
            reported.add(ref.name)
            self.report(where, f"{ref.text} does not resolve: {self._why(ref, scope, kind)}")

    def _why(self, ref: Reference, scope: Scope, kind: str) -> str:
        root, *rest = ref.name.split(".")
        if root == "inputs":
            return "the template declares no such input"
        if root == "item":
            if not scope.has("item"):
                return "'item' exists only on a step or task with withItems/withParam/withSequence"
            return "the withItems entries have no such key"
        if root in ("steps", "tasks") and rest:
            return self._why_node(root, rest[0], scope)
        if root == "workflow":
            if ref.name.startswith("workflow.parameters."):
                return "not declared in spec.arguments.parameters"
            if ref.name.startswith("workflow.outputs."):
                return "no output sets that globalName"
            return "not a workflow variable"
        if root in ("retries", "lastRetry"):
            return "only templates with a retryStrategy have it"
        if root == "pod":
            return "only pod templates (container, script, resource, ...) have it"
        return "not defined here"

    def _why_node(self, root: str, name: str, scope: Scope) -> str:
        if scope.has_under(f"{root}.{name}"):
            return f"{root[:-1]} {name!r} has no such output"
        if root == "steps":
            return f"no step {name!r} in an earlier stage of this template"
        return f"task {name!r} is not defined or is not a dependency (direct or indirect)"


def _missing_output_source(source: Mapping[str, Any], kind: str | None) -> str:
    """Which valueFrom field an output of a ``kind`` template lacks ('' when none)."""
    if kind in ("container", "script") and not (source.keys() & {"path", "supplied", "default"}):
        return "path"
    if kind in ("steps", "dag") and not (source.keys() & {"parameter", "expression"}):
        return "parameter or valueFrom.expression"
    return ""


def _references(value: Any) -> Iterator[Reference]:
    """Every reference in a nested manifest value; expression fields parsed as expressions."""
    if isinstance(value, str):
        yield from string_references(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in _EXPRESSION_KEYS and isinstance(item, str):
                yield from expression_references(item)
            else:
                yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _referenced_ancestors(name: str, task: Mapping[str, Any], deps: Mapping[str, list[str]]) -> list[str]:
    """The ancestors of task ``name`` whose outputs its fields refer to.

    Only these can matter to its references, and looking up just them keeps the lint
    of a 10,000-task chain linear (every ancestor's outputs per task was quadratic).
    An expression naming bare ``tasks`` may hold any of them: then all are returned.
    """
    wanted: set[str] = set()
    for ref in _references(task):
        parts = ref.name.split(".")
        if parts[0] == "tasks":
            if len(parts) == 1:
                return _ancestors(name, deps)
            wanted.add(parts[1])
    wanted.discard(name)
    found = [d for d in dict.fromkeys(deps.get(name, [])) if d in wanted]
    if len(found) == len(wanted):
        return found  # the usual case: a task refers to the tasks it depends on
    return [a for a in _ancestors(name, deps) if a in wanted]


def _ancestors(name: str, deps: Mapping[str, list[str]]) -> list[str]:
    seen: dict[str, None] = {}
    stack = list(deps.get(name, []))
    while stack:
        current = stack.pop()
        if current not in seen:
            seen[current] = None
            stack.extend(deps.get(current, []))
    return list(seen)
