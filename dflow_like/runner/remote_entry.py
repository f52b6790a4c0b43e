"""Run a step in a process of its own: load the template and spec from the attempt directory."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import cloudpickle

from . import codes
from .execute import run_step
from .spec import StepSpec

__all__ = ["main", "write_template"]


def write_template(attempt_dir: Path, template: Any, namespace: dict[str, Any]) -> None:
    """Write what a fresh process needs to run ``template`` (see ``main``)."""
    with open(attempt_dir / "template.pkl", "wb") as fh:
        cloudpickle.dump({"template": template, "namespace": namespace}, fh)
    (attempt_dir / "launch.json").write_text(json.dumps({"sys_path": [p for p in sys.path if p]}))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m dflow_like.runner ATTEMPT_DIR", file=sys.stderr)
        return codes.ERROR
    attempt = Path(argv[0])
    launch = attempt / "launch.json"
    if launch.exists():
        for entry in reversed(json.loads(launch.read_text())["sys_path"]):
            if entry not in sys.path:
                sys.path.append(entry)
    with open(attempt / "template.pkl", "rb") as fh:
        data = cloudpickle.load(fh)
    main_module = sys.modules["__main__"]
    for name, value in data["namespace"].items():
        setattr(main_module, name, value)
    spec = StepSpec.read(attempt)
    os.environ.update(spec.envs)
    return run_step(spec, data["template"])
