"""Which variable names exist where in an Argo manifest (what a ``{{...}}`` may name).

Mirrors the scopes Argo builds when it validates and runs a workflow: a template sees
its inputs and the global variables; a step sees the outputs of steps in earlier
stages; a DAG task sees the outputs of its ancestors; ``item`` exists only on a loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._refs import Reference

__all__ = [
    "Scope",
    "global_scope",
    "item_scope",
    "names_of",
    "node_outputs",
    "template_scope",
    "template_type",
]

TEMPLATE_TYPES = (
    "container", "containerSet", "steps", "script", "resource", "dag", "suspend", "data", "http",
    "plugin",
)  # fmt: skip
_POD_TYPES = {"container", "containerSet", "script", "resource", "data"}
_HAS_RESULT = {"container", "containerSet", "script", "data", "http", "plugin"}
_LAST_RETRY = ("exitCode", "status", "duration", "message")
_RUNTIME_PREFIXES = (
    "workflow.creationTimestamp", "workflow.scheduledTime", "workflow.duration", "steps.name",
    "tasks.name", "node.name", "outputs.",
)  # fmt: skip


@dataclass
class Scope:
    """Exact names plus open prefixes (``item.`` of a withParam loop, a templateRef step).

    ``parent`` layers a small scope (a step's ``item``, its own outputs) over a large
    one (every earlier step's outputs) without copying it: a copy per step made the
    lint of a 10,000-step template quadratic.
    """

    exact: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    parent: Scope | None = None
    _stems: set[str] = field(default_factory=set, repr=False, compare=False)
    _stems_of: int = field(default=-1, repr=False, compare=False)

    def copy(self) -> Scope:
        return Scope(set(self.exact), set(self.prefixes), self.parent)

    def over(self, top: Scope) -> Scope:
        """``top`` seen in front of this scope (``self`` is not copied, so keep it unchanged)."""
        return Scope(top.exact, top.prefixes, self)

    def update(self, other: Scope) -> None:
        self.exact |= other.exact
        self.prefixes |= other.prefixes

    def layers(self) -> Iterator[Scope]:
        scope: Scope | None = self
        while scope is not None:
            yield scope
            scope = scope.parent

    def has(self, name: str) -> bool:
        return any(name in layer.exact for layer in self.layers())

    def has_under(self, stem: str) -> bool:
        """Whether some exact name continues ``stem`` (``steps.a`` → ``steps.a.outputs...``)."""
        return any(stem in layer.stems() for layer in self.layers())

    def stems(self) -> set[str]:
        """Every proper dotted prefix of this layer's exact names (cached until names are added)."""
        if self._stems_of != len(self.exact):
            self._stems = {e[:i] for e in self.exact for i, c in enumerate(e) if c == "."}
            self._stems_of = len(self.exact)
        return self._stems

    def allows(self, ref: Reference) -> bool:
        name = ref.name
        if name.startswith(_RUNTIME_PREFIXES) or self.has(name):
            return True
        for layer in self.layers():
            if any(name.startswith(p) or name + "." == p for p in layer.prefixes):
                return True
        # an expression may hold an intermediate object (inputs.parameters, steps.a.outputs)
        return ref.partial and self.has_under(name)


def template_type(template: Mapping[str, Any]) -> str | None:
    kinds = [k for k in TEMPLATE_TYPES if template.get(k) is not None]
    return kinds[0] if len(kinds) == 1 else None


def global_scope(manifest: Mapping[str, Any]) -> Scope:
    """``workflow.*`` names: identity, declared parameters, labels, global outputs."""
    spec = manifest.get("spec") or {}
    meta = manifest.get("metadata") or {}
    names = {"name", "namespace", "uid", "mainEntrypoint", "serviceAccountName", "status",
             "failures", "annotations", "annotations.json", "labels", "labels.json"}  # fmt: skip
    params = [p.get("name") for p in (spec.get("arguments") or {}).get("parameters") or []]
    if params:
        names |= {"parameters", "parameters.json"} | {f"parameters.{p}" for p in params if p}
    if spec.get("priority") is not None:
        names.add("priority")
    wf_meta = spec.get("workflowMetadata") or {}
    for key in ("labels", "annotations"):
        names |= {f"{key}.{k}" for k in {**(meta.get(key) or {}), **(wf_meta.get(key) or {})}}
    names |= {f"labels.{k}" for k in wf_meta.get("labelsFrom") or {}}
    scope = Scope({f"workflow.{n}" for n in names})
    for template in spec.get("templates") or []:
        _add_global_outputs(template.get("outputs") or {}, scope)
    return scope


def _add_global_outputs(outputs: Mapping[str, Any], scope: Scope) -> None:
    for kind in ("parameters", "artifacts"):
        for item in outputs.get(kind) or []:
            name = item.get("globalName")
            if not name:
                continue
            if "{{" in name:  # a computed global name: resolved only at run time
                scope.prefixes.add(f"workflow.outputs.{kind}.")
            else:
                scope.exact.add(f"workflow.outputs.{kind}.{name}")


def template_scope(template: Mapping[str, Any], globals_: Scope) -> Scope:
    """What every field of ``template`` may reference, before any step or task outputs."""
    scope = globals_.copy()
    inputs = template.get("inputs") or {}
    leaf = template_type(template) not in ("steps", "dag")
    params = [p.get("name") for p in inputs.get("parameters") or []]
    scope.exact |= {f"inputs.parameters.{p}" for p in params}
    if params:
        scope.exact.add("inputs.parameters")
    for art in inputs.get("artifacts") or []:
        scope.exact.add(f"inputs.artifacts.{art.get('name')}")
        if leaf:
            scope.exact.add(f"inputs.artifacts.{art.get('name')}.path")
    if template_type(template) in _POD_TYPES:
        scope.exact.add("pod.name")
    if template.get("retryStrategy") is not None:
        scope.exact |= {"retries"} | {f"lastRetry.{k}" for k in _LAST_RETRY}
    return scope


def node_outputs(prefix: str, template: Mapping[str, Any] | None, aggregate: bool) -> Scope:
    """Names a step or task ``prefix`` (``steps.a``) exposes; unknown template → anything."""
    if template is None:
        return Scope(prefixes={prefix + "."})
    names = {"id", "startedAt", "finishedAt", "hostNodeName", "status"}
    kind = template_type(template)
    if template.get("daemon"):
        names.add("ip")
    if kind in _HAS_RESULT:
        names |= {"outputs.result", "exitCode"}
    outputs = template.get("outputs") or {}
    names |= {f"outputs.parameters.{p.get('name')}" for p in outputs.get("parameters") or []}
    names |= {f"outputs.artifacts.{a.get('name')}" for a in outputs.get("artifacts") or []}
    if aggregate:
        names.add("outputs.parameters")
        if kind in ("script", "containerSet"):
            names |= {"outputs.result", "exitCode"}
    return Scope({f"{prefix}.{n}" for n in names})


def item_scope(node: Mapping[str, Any]) -> Scope:
    """``item`` names of a looped step/task (empty scope when it does not loop)."""
    items = node.get("withItems")
    if node.get("withParam"):
        return Scope({"item"}, {"item."})
    if node.get("withSequence") is not None:
        return Scope({"item"})
    if not items:
        return Scope()
    scope = Scope({"item"})
    for item in items:
        if isinstance(item, dict):
            scope.exact |= {f"item.{k}" for k in item}
        elif isinstance(item, list):
            scope.prefixes.add("item.")
    return scope


def names_of(entries: Iterable[Mapping[str, Any]] | None) -> list[str]:
    return [str(e.get("name", "")) for e in entries or []]
