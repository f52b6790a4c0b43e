"""Step records: what ``Workflow.query_step`` returns, whatever the engine.

A record is plain data (no engine handle), so it pickles, prints, and can be handed
to ``submit(reuse_step=[...])`` of another workflow. Parameter values are kept in
their wire form (the string Argo would carry) and decoded on access, as in dflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._values import decode_value, encode_value
from .artifacts import ArtifactRef

__all__ = ["ArtifactRef", "IORecord", "ParameterRecord", "StepRecord"]


@dataclass
class ParameterRecord:
    """A parameter value; ``.value`` decodes the wire string (jsonpickle) lazily.

    Only typed parameters are decoded: an untyped one (``type_name`` "", e.g. a shell
    template's ``value_from_path`` output without ``type=``) stays the string Argo
    carries, as dflow's ``ArgoParameter.__getattr__`` (``argo_objects.py``) decodes a
    value only when its description names a type other than ``str``.
    """

    name: str
    raw: str
    type_name: str = ""

    @property
    def value(self) -> Any:
        if not self.type_name:
            return self.raw
        return decode_value(self.raw, self.type_name)

    @value.setter
    def value(self, new: Any) -> None:
        self.raw = encode_value(new)

    def __repr__(self) -> str:
        return f"ParameterRecord({self.name}={self.raw[:60]!r})"


@dataclass
class IORecord:
    """A step's inputs or outputs: ``parameters[name].value`` and ``artifacts[name]``
    (an ``ArtifactRef``: pass it to ``download_artifact`` or to another step)."""

    parameters: dict[str, ParameterRecord] = field(default_factory=dict)
    artifacts: dict[str, ArtifactRef] = field(default_factory=dict)


@dataclass
class StepRecord:
    """One node of a run, as ``Workflow.query_step`` returns it.

    ``type`` says what the node is (Argo's node types)::

        Pod        a step that ran a template's code: a Python OP or a script (also each
                   item of a fan-out)
        StepGroup  a fanned-out step (Slices, with_param, with_sequence, with_items): its
                   items are its children; its outputs are the items' outputs gathered
        Steps      a step whose template is a Steps (and the workflow's root, for a Steps
                   entrypoint): its steps are its children
        DAG        the same for a DAG template
        Skipped    a step whose ``when`` was false
        Retry      (Argo only) the parent of a retried Pod's attempts

    ``phase`` is ``Pending``, ``Running``, ``Succeeded``, ``Failed`` (the step's code
    failed), ``Error`` (it could not run, or was killed), ``Skipped`` or ``Omitted`` (a
    DAG task whose dependency failed). ``message`` says why it did not succeed.
    ``parent_id`` is the enclosing node's ``id``; ``key`` the step's ``key`` if it has one.
    Times are Unix seconds: ``start_time`` when it became ready, ``run_start_time`` when its
    process started (None when unknown), ``end_time`` when it ended; ``queued`` and
    ``duration`` are the waiting and running seconds. ``log_path`` is its output and
    traceback (``dflow-like logs``); ``workdir`` where it ran; ``attempts`` how many times
    it ran (retries); ``job_id`` its Slurm job. ``inputs``/``outputs`` are ``IORecord``s.
    """

    id: str
    name: str
    workflow_id: str
    phase: str = "Pending"
    type: str = "Pod"  # Argo node types: Pod, Steps, DAG, StepGroup, Skipped, Retry
    key: str | None = None
    template: str = ""
    parent_id: str | None = None
    start_time: float | None = None  # when the step was ready to run (it may then wait its turn)
    end_time: float | None = None
    message: str = ""
    log_path: str | None = None
    workdir: str | None = None
    attempts: int = 0
    job_id: str | None = None  # the Slurm job running it, if any
    progress: str | None = None  # "current/total", as Argo's node status (set by the backend when queried)
    inputs: IORecord = field(default_factory=IORecord)
    outputs: IORecord = field(default_factory=IORecord)
    run_start_time: float | None = None  # when its process started (a worker, a Slurm job); None: unknown

    @property
    def duration(self) -> float | None:
        """Seconds it ran: from its process's start (else its own start) to its end; None until it ends."""
        begin = self.run_start_time if self.run_start_time is not None else self.start_time
        if begin is None or self.end_time is None:
            return None
        return self.end_time - begin

    @property
    def queued(self) -> float | None:
        """Seconds it waited for a worker, a ``parallelism`` slot or Slurm; None when unknown."""
        if self.start_time is None or self.run_start_time is None:
            return None
        return self.run_start_time - self.start_time

    def modify_output_parameter(self, name: str, value: Any) -> None:
        """Change an output value before reusing this record (dflow's API)."""
        record = self.outputs.parameters.get(name)
        if record is None:
            known = ", ".join(sorted(self.outputs.parameters)) or "none"
            raise KeyError(f"step {self.name!r} has no output parameter {name!r} (it has: {known})")
        record.raw = encode_value(value)

    def modify_output_artifact(self, name: str, artifact: ArtifactRef) -> None:
        if name not in self.outputs.artifacts:
            known = ", ".join(sorted(self.outputs.artifacts)) or "none"
            raise KeyError(f"step {self.name!r} has no output artifact {name!r} (it has: {known})")
        self.outputs.artifacts[name] = artifact

    def __repr__(self) -> str:
        key = f", key={self.key!r}" if self.key else ""
        return f"StepRecord({self.name!r}, phase={self.phase!r}, type={self.type!r}{key})"
