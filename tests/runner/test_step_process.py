"""``runner/step_process.py``: the setup every step process (local fork, Slurm job) shares."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dflow_like import config, s3_config
from dflow_like.runner.spec import StepSpec
from dflow_like.runner.step_process import enter_step


def _spec(tmp_path: Path, store: str = "local", **envs: str) -> StepSpec:
    return StepSpec(workflow_id="w", node_id="n", step_name="s", template="t", attempt_dir=str(tmp_path),
                    envs=dict(envs), store=store)  # fmt: skip


def test_a_local_step_gets_its_envs_and_no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DFLOW_LIKE_S3_SECRET_KEY", "s3-secret-value")
    monkeypatch.setenv("DFLOW_LIKE_TOKEN", "argo-token-value")
    s3_config["secret_key"], config["token"] = "s3-secret-value", "argo-token-value"
    enter_step(_spec(tmp_path, OMP_NUM_THREADS="2"))
    assert os.environ["OMP_NUM_THREADS"] == "2"
    assert "DFLOW_LIKE_S3_SECRET_KEY" not in os.environ and "DFLOW_LIKE_TOKEN" not in os.environ
    assert (s3_config["secret_key"], config["token"]) == ("", "")
    monkeypatch.delenv("OMP_NUM_THREADS")


def test_a_step_storing_to_s3_keeps_the_s3_keys_in_memory_only(tmp_path: Path) -> None:
    s3_config["secret_key"], config["token"] = "s3-secret-value", "argo-token-value"
    enter_step(_spec(tmp_path, store="s3"))
    assert (s3_config["secret_key"], config["token"]) == ("s3-secret-value", "")


def test_the_slurm_entry_logs_to_the_file_it_is_given(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    done = subprocess.run(
        [sys.executable, "-m", "dflow_like.runner", "--log", str(log), str(tmp_path / "missing")],
        check=False, capture_output=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0 and done.stdout == done.stderr == b""
    assert "missing" in log.read_text()  # the traceback went to the step's log, not to the job's output
