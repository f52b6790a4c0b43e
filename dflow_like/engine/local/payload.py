"""What a submitted run hands to its engine process, and how it travels.

The workflow definition (templates, OP classes, user functions) is cloudpickled: OPs
defined in a script's ``__main__`` or a notebook cell travel by value; importable
modules by reference, found again through the caller's ``sys.path``. Credentials never
enter the payload: they are scrubbed from the pickle (``dflow_like._credentials``) and
reach the engine through a pipe. Both files are private to the user (0600).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..._credentials import load_scrubbed, scrubbed_pickle
from ...graph.template import OPTemplate
from ...records import StepRecord
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
    cache: dict[str, str] = field(default_factory=dict)  # template name -> code digest (dflow_like.cache)


def public_settings(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if k not in _SECRET_KEYS}


def write_payload(root: Path, payload: Payload, credentials: Mapping[str, str]) -> None:
    """``launch.json`` (read first: where to import from) and ``workflow.pkl`` (without ``credentials``)."""
    data = scrubbed_pickle(payload, credentials)
    launch = {"sys_path": caller_sys_path(), "cwd": os.getcwd()}
    with _private(root / "launch.json") as fh:
        fh.write(json.dumps(launch).encode())
    with _private(root / "workflow.pkl") as fh:
        fh.write(data)


def _private(path: Path) -> IO[bytes]:
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")


def read_payload(root: Path, credentials: Mapping[str, str]) -> Payload:
    launch = json.loads((root / "launch.json").read_text())
    use_sys_path(launch["sys_path"])
    if os.path.isdir(launch["cwd"]):
        os.chdir(launch["cwd"])
    with open(root / "workflow.pkl", "rb") as fh:
        payload: Payload = load_scrubbed(fh, credentials)
    restore_main_namespace(payload.namespace)
    return payload
