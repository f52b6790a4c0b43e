"""A frame: the scope of one running ``Steps``/``DAG`` instance.

It holds the instance's inputs and the records of its finished children, and builds
the nested mapping the expression evaluator reads (``inputs.parameters.x``,
``steps.a.outputs.parameters.y``, ``item``, ``workflow.name``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from ...artifacts import ArtifactRef
from ...expr.references import artifact_reference
from ...records import StepRecord

__all__ = ["NO_ITEM", "Frame", "artifact_reference"]

NO_ITEM: Any = object()


@dataclass
class Frame:
    node: StepRecord
    path: str
    parameters: dict[str, str]
    artifacts: dict[str, ArtifactRef | None]
    kind: str  # "steps" | "tasks"
    workflow: dict[str, Any]
    semaphores: tuple[asyncio.Semaphore, ...]
    children: dict[str, StepRecord] = field(default_factory=dict)
    _scope: dict[str, Any] | None = None

    def add_child(self, name: str, record: StepRecord) -> None:
        self.children[name] = record
        if self._scope is not None:  # in place: rebuilding the scope per child made n steps cost n^2
            self._scope[self.kind][name] = _child_scope(record)

    def scope(self, item: Any = NO_ITEM) -> dict[str, Any]:
        if self._scope is None:
            self._scope = {
                "inputs": {
                    "parameters": self.parameters,
                    "artifacts": {n: {"path": ""} for n in self.artifacts},
                },
                self.kind: {name: _child_scope(rec) for name, rec in self.children.items()},
                "workflow": self.workflow,
            }
        if item is NO_ITEM:
            return self._scope
        return {**self._scope, "item": item}

    def artifact(self, text: str, owner: str) -> ArtifactRef | None:
        """Resolve an artifact reference text in this frame."""
        ref = artifact_reference(text)
        if ref is None:
            raise ValueError(f"{owner}: {text!r} is not an artifact reference")
        scope, step, name = ref
        if scope is None:
            if name not in self.artifacts:
                raise KeyError(f"{owner}: {text}: this template has no input artifact {name!r}")
            return self.artifacts[name]
        record = self.children.get(step or "")
        if record is None:
            raise KeyError(f"{owner}: {text}: step {step!r} has not run in this template")
        if name not in record.outputs.artifacts:
            if record.phase in ("Skipped", "Omitted"):
                return None
            known = ", ".join(record.outputs.artifacts) or "none"
            raise KeyError(f"{owner}: {text}: step {step!r} produced no artifact {name!r} (it has: {known})")
        return record.outputs.artifacts[name]


def _child_scope(rec: StepRecord) -> dict[str, Any]:
    return {
        "outputs": {
            "parameters": {n: p.raw for n, p in rec.outputs.parameters.items()},
            "artifacts": {n: {} for n in rec.outputs.artifacts},
        },
        "status": rec.phase,
        "id": rec.id,
        "phase": rec.phase,
    }
