"""Run a step in a process of its own: load the template and spec from the attempt directory."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import cloudpickle

from .._credentials import pickle_refusing_credentials
from . import codes
from .execute import run_step
from .namespace import caller_sys_path, restore_main_namespace, use_sys_path
from .spec import StepSpec
from .step_process import enter_step, log_to

__all__ = ["main", "run_attempt", "write_template"]


def write_template(attempt_dir: Path, template: Any, namespace: dict[str, Any]) -> None:
    """Write what a fresh process needs to run ``template`` (see ``main``)."""
    data = pickle_refusing_credentials({"template": template, "namespace": namespace}, "the step's template.pkl")
    with open(attempt_dir / "template.pkl", "wb") as fh:
        fh.write(data)
    (attempt_dir / "launch.json").write_text(json.dumps({"sys_path": caller_sys_path()}))


def main(argv: list[str]) -> int:
    args = list(argv)
    if len(args) == 3 and args[0] == "--log":
        log_to(args[1])
        args = args[2:]
    if len(args) != 1:
        print("usage: python -m dflow_like.runner [--log FILE] ATTEMPT_DIR", file=sys.stderr)
        return codes.ERROR
    return run_attempt(Path(args[0]))


def run_attempt(attempt: Path) -> int:
    """Run the step in ``attempt`` in this process (logging already set up); its exit code.

    ``main`` calls it in a fresh interpreter; a packed Slurm job (``packed.py``) in a
    child it forked per item, after importing the OP's modules once for all of them.
    """
    (attempt / "started").write_text(repr(time.time()))  # its queue time ends here (Slurm's pending)
    launch = attempt / "launch.json"
    if launch.exists():
        use_sys_path(json.loads(launch.read_text())["sys_path"])
    with open(attempt / "template.pkl", "rb") as fh:
        data = cloudpickle.load(fh)
    restore_main_namespace(data["namespace"])
    spec = StepSpec.read(attempt)
    enter_step(spec)  # before the user's code
    code = run_step(spec, data["template"])
    (attempt / "exit_code").write_text(str(code))  # per item, when several share one job
    return code
