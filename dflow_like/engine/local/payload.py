"""What a submitted run hands to its engine process, and how it travels.

The workflow definition (templates, OP classes, user functions) is cloudpickled: OPs
defined in a script's ``__main__`` or a notebook cell travel by value; importable
modules by reference, found again through the caller's ``sys.path``. Secrets never
enter the payload: the engine gets S3 credentials through its environment.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cloudpickle

from ...graph.template import OPTemplate
from ...records import StepRecord
from ...runner import pickling
from ...runner.namespace import caller_sys_path, restore_main_namespace, use_sys_path

__all__ = ["Payload", "read_payload", "write_payload"]

_SECRET_KEYS = {"access_key", "secret_key", "token", "password"}


@dataclass
class Payload:
    wf_id: str
    name: str
    entrypoint: OPTemplate
    parameters: dict[str, str] = field(default_factory=dict)
    parallelism: int | None = None
    reuse: list[StepRecord] = field(default_factory=list)
    namespace: dict[str, Any] = field(default_factory=dict)
    workers: int = 0
    config: dict[str, Any] = field(default_factory=dict)
    s3_config: dict[str, Any] = field(default_factory=dict)
    on_exit: OPTemplate | None = None


def public_settings(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if k not in _SECRET_KEYS}


def write_payload(root: Path, payload: Payload) -> None:
    """``launch.json`` (read first: where to import from) and ``workflow.pkl``."""
    launch = {"sys_path": caller_sys_path(), "cwd": os.getcwd()}
    (root / "launch.json").write_text(json.dumps(launch))
    with open(root / "workflow.pkl", "wb") as fh:
        pickling.dump(payload, fh)


def read_payload(root: Path) -> Payload:
    launch = json.loads((root / "launch.json").read_text())
    use_sys_path(launch["sys_path"])
    if os.path.isdir(launch["cwd"]):
        os.chdir(launch["cwd"])
    with open(root / "workflow.pkl", "rb") as fh:
        payload: Payload = cloudpickle.load(fh)
    restore_main_namespace(payload.namespace)
    return payload
