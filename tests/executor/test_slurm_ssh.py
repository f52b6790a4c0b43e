"""The SSH path: a real sshd on localhost in front of the real Slurm cluster.

The job runs in the remote copy under ``remote_root`` (a different directory on the same
machine), so a passing test shows the copy there, the submit over ssh, and the copy back.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dflow_like.executor import DispatcherExecutor
from dflow_like.executor.slurm import JobState, SlurmExecutor, SlurmSubmitError
from dflow_like.executor.slurm.local_cluster import LocalSlurmCluster

pytestmark = pytest.mark.slurm


def test_job_over_ssh_runs_in_the_remote_copy_and_comes_back(
    slurm_cluster: LocalSlurmCluster, sshd: dict[str, object], tmp_path: Path
) -> None:
    local = tmp_path / "wf" / "step"
    local.mkdir(parents=True)
    (local / "input.txt").write_text("21\n")
    remote_root = tmp_path / "remote"
    spec = DispatcherExecutor(
        host="127.0.0.1",
        port=int(str(sshd["port"])),
        username="root",
        private_key_file=str(sshd["key"]),
        remote_root=str(remote_root),
        slurm_conf=slurm_cluster.slurm_conf,
        ssh_options=list(sshd["options"]),  # type: ignore[call-overload]
    )
    ex = SlurmExecutor(spec)
    try:
        script = "echo $(( $(cat input.txt) * 2 )) > output.txt; pwd > where.txt"
        job = ex.submit(["bash", "-c", script], str(local), "remote-step", str(local / "s.log"))
        deadline = time.monotonic() + 30
        while not (status := ex.poll([job])[job]).state.finished and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status.state is JobState.SUCCEEDED, status
        assert (local / "output.txt").read_text() == "42\n"
        assert (local / "where.txt").read_text().strip() == f"{remote_root}{local}"
        assert not (remote_root / str(local).lstrip("/")).exists()  # clean=True
        refused = SlurmExecutor(
            DispatcherExecutor(
                host="127.0.0.1",
                port=int(str(sshd["port"])),
                private_key_file=str(sshd["key"]),
                remote_root=str(remote_root),
                slurm_conf=slurm_cluster.slurm_conf,
                partition="nosuch",
                ssh_options=list(sshd["options"]),  # type: ignore[call-overload]
            )
        )
        try:
            with pytest.raises(SlurmSubmitError, match=r"'remote-x'.*nvalid partition"):
                refused.submit(["true"], str(local), "remote-x", str(local / "x.log"))
        finally:
            refused.close()
    finally:
        ex.close()
