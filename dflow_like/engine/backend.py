"""The seam between ``Workflow`` and an engine: what every backend does, and how it says no.

``Workflow`` talks to its engine only through :class:`Backend`: the embedded local
engine (``engine/local/backend.py``) or an Argo Server (``engine/argo/backend.py``).
A run's id comes from :func:`new_run_id` on both. ``records`` takes a
:class:`~dflow_like.engine.step_filter.StepFilter`, so ``query_step`` selects steps by
one rule on every engine. An operation an engine cannot do raises
:class:`UnsupportedOperation`, which names the engine and the operation.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Protocol, TypedDict

from ..artifacts import ArtifactRef
from .step_filter import StepFilter

if TYPE_CHECKING:
    from .._run_summary import RunListing
    from ..records import StepRecord
    from ..workflow import Workflow

__all__ = ["FINAL_PHASES", "Backend", "GlobalOutputs", "UnsupportedOperation", "current_backend", "new_run_id"]

FINAL_PHASES = ("Succeeded", "Failed", "Error")
"""Run phases after which nothing changes (Argo's ``Workflow.Status.Fulfilled``)."""

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def current_backend() -> Backend:
    """The engine the settings name: local unless ``config["host"]`` names an Argo Server."""
    from .._config import uses_local_engine

    if uses_local_engine():
        from .local import LocalBackend

        return LocalBackend()
    from .argo.backend import ArgoBackend

    return ArgoBackend()


def new_run_id(name: str) -> str:
    """A run's id: the workflow's name, ``-`` and five random characters (Argo's ``generateName`` form)."""
    return f"{name}-{''.join(secrets.choice(_ALPHABET) for _ in range(5))}"


class GlobalOutputs(TypedDict):
    """What a run exported under global names (``Workflow.query_global_outputs``)."""

    parameters: dict[str, str]  # global name -> the value's wire text
    artifacts: dict[str, ArtifactRef]


class UnsupportedOperation(NotImplementedError):
    """``engine`` cannot do ``operation``; the message says what to do instead.

    A ``NotImplementedError``, hence a ``RuntimeError``: code that caught the
    ``RuntimeError`` an engine raised before still catches it.
    """

    def __init__(self, engine: str, operation: str, hint: str = "") -> None:
        self.engine = engine
        self.operation = operation
        super().__init__(f"the {engine} engine cannot {operation}" + (f": {hint}" if hint else ""))


class Backend(Protocol):
    """One engine as ``Workflow`` sees it; every method but ``submit`` takes the run's id."""

    engine: str
    """``"local"`` or ``"argo"``: named in errors."""

    def submit(self, workflow: Workflow, reuse: list[StepRecord]) -> str:
        """Start a run of ``workflow`` (already validated) and return its id at once."""
        ...

    def status(self, wf_id: str) -> tuple[str, str]:
        """``(phase, message)`` of the run."""
        ...

    def wait(self, wf_id: str, timeout: float | None = None) -> str:
        """Block until the run's phase is final (``TimeoutError`` after ``timeout`` s); return it."""
        ...

    def records(self, wf_id: str, where: StepFilter | None = None) -> list[StepRecord]:
        """The run's nodes ``where`` selects (all without it), in start order."""
        ...

    def global_outputs(self, wf_id: str) -> GlobalOutputs:
        """``{"parameters": {name: wire text}, "artifacts": {name: ArtifactRef}}``."""
        ...

    def terminate(self, wf_id: str) -> None:
        """Stop the run and kill its running steps."""
        ...

    def resume(self, wf_id: str) -> None:
        """Finish a run that stopped: succeeded steps are kept, the rest run again."""
        ...

    def retry(self, wf_id: str, step: str | None = None) -> None:
        """Run a finished run's failed steps again (with ``step``: that one and what follows)."""
        ...

    def resubmit(self, wf_id: str) -> str:
        """Start a new run of the same manifest; return its id."""
        ...

    def delete(self, wf_id: str) -> None:
        """Remove the run (a local one must have ended)."""
        ...

    def list_ids(self) -> list[str]:
        """Ids of the runs this engine knows."""
        ...

    def summaries(self) -> list[RunListing]:
        """Each run's phase, times and step count, read without reading its steps."""
        ...
