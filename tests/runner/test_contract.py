"""The runner contract (``runner/contract.py``), tested at the runner's process entry point.

``python -m dflow_like.runner ATTEMPT_DIR`` is how a Slurm job runs a step; the local
engine's fork and an Argo pod call the same ``run_step``. Its exit code is the contract:
0 succeeded (``outputs.json``), 1 the OP failed, 2 ``FatalError``, 3 ``TransientError``,
4 the runner itself could not work; a failure leaves a one-line ``error.txt``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dflow_like._values import encode_value
from dflow_like.python import PythonOPTemplate
from dflow_like.runner import contract
from dflow_like.runner.remote_entry import write_template
from dflow_like.runner.spec import StepSpec

from .contract_ops import EndAs


def _run(tmp_path: Path, how: str) -> tuple[int, Path]:
    attempt = tmp_path / how
    attempt.mkdir()
    write_template(attempt, PythonOPTemplate(EndAs), {})
    StepSpec(
        workflow_id="w-abcde", node_id="w-abcde-1", step_name="end", template="end-as",
        attempt_dir=str(attempt), parameters={"how": encode_value(how)},
    ).write()  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "dflow_like.runner", str(attempt)], check=False, timeout=120)
    return done.returncode, attempt


@pytest.mark.parametrize(
    ("how", "code", "error"),
    [
        ("fail", contract.FAILED, "ValueError: bad value"),
        ("fatal", contract.FATAL, "FatalError: cannot ever work"),
        ("transient", contract.TRANSIENT, "TransientError: try again"),
    ],
)
def test_each_way_an_op_fails_has_its_exit_code_and_one_line(tmp_path: Path, how: str, code: int, error: str) -> None:
    returncode, attempt = _run(tmp_path, how)
    assert returncode == code
    assert (attempt / "error.txt").read_text() == error
    assert (attempt / "exit_code").read_text() == str(code)
    assert not (attempt / "outputs.json").exists()


def test_success_exits_0_with_the_outputs(tmp_path: Path) -> None:
    returncode, attempt = _run(tmp_path, "ok")
    assert returncode == contract.SUCCEEDED
    outputs = json.loads((attempt / "outputs.json").read_text())
    assert "said" in json.dumps(outputs)


def test_a_runner_that_cannot_start_exits_with_error(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "dflow_like.runner"], check=False, capture_output=True, timeout=120)
    assert done.returncode == contract.ERROR
    assert b"usage: python -m dflow_like.runner" in done.stderr


def test_the_codes_are_distinct_and_outcome_is_shared_with_the_executors() -> None:
    from dflow_like.engine.local import processes
    from dflow_like.executor.slurm import engine_adapter

    codes = [contract.SUCCEEDED, contract.FAILED, contract.FATAL, contract.TRANSIENT, contract.ERROR]
    assert len(set(codes)) == 5
    assert processes.Outcome is contract.Outcome is engine_adapter.Outcome
