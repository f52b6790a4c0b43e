"""``StepSpec``: everything the runner needs to run one step, as plain JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["PROGRESS_FILE", "StepSpec"]

PROGRESS_FILE = "progress"  # in the attempt directory: what the OP last reported, "current/total"


@dataclass
class StepSpec:
    """One run of one step (or slice item) in its own attempt directory.

    ``artifacts`` hold ``ArtifactRef.to_json()`` (or ``None`` for an absent optional
    input); ``store`` says where outputs go: ``"local"`` (left in place) or ``"s3"``
    (uploaded under ``store_prefix``).
    """

    workflow_id: str
    node_id: str
    step_name: str
    template: str
    attempt_dir: str
    parameters: dict[str, str] = field(default_factory=dict)
    artifacts: dict[str, Any] = field(default_factory=dict)
    script: str = ""
    command: list[str] = field(default_factory=list)
    envs: dict[str, str] = field(default_factory=dict)
    store: str = "local"
    store_prefix: str = ""
    key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def workdir(self) -> Path:
        return Path(self.attempt_dir) / "workdir"

    def to_json(self) -> str:
        # vars(), not dataclasses.asdict(): asdict deep-copies, which in a freshly
        # forked child means copy-on-write faults on every page it touches.
        return json.dumps(vars(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> StepSpec:
        return cls(**json.loads(text))

    def write(self) -> None:
        (Path(self.attempt_dir) / "step.json").write_text(self.to_json())

    @classmethod
    def read(cls, attempt_dir: str | Path) -> StepSpec:
        return cls.from_json((Path(attempt_dir) / "step.json").read_text())
