"""``LocalSlurmCluster``: clusters started side by side on one machine stay apart.

A test run beside a benchmark (or another test run) starts a second cluster; both number
their jobs from 1. A regression here showed as a job of one cluster reported ``FAILED
(JobLaunchFailure)`` the moment the other cluster's job of the same number ended.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dflow_like.executor import DispatcherExecutor
from dflow_like.executor.slurm import JobState, SlurmExecutor
from dflow_like.executor.slurm.local_cluster import ClusterUnavailable, LocalSlurmCluster, missing_slurm
from tests.polling import poll
from tests.requires import unavailable

pytestmark = pytest.mark.slurm


def _running(ex: SlurmExecutor, job: str) -> None:
    poll(lambda: ex.poll([job])[job].state is JobState.RUNNING, f"job {job} to run")


def _final(ex: SlurmExecutor, job: str) -> JobState:
    return poll(lambda: (state := ex.poll([job])[job].state).finished and state, f"job {job} to end")


@pytest.mark.slow
def test_a_job_ending_in_one_cluster_leaves_the_same_numbered_job_of_another_running(tmp_path: Path) -> None:
    reason = missing_slurm()
    if reason:
        unavailable(reason)
    gate = tmp_path / "gate"
    held = f"for _ in $(seq 1200); do [ -e {gate} ] && exit 0; sleep 0.1; done; exit 1"  # until the test opens it
    try:
        with LocalSlurmCluster(cpus=1) as first, LocalSlurmCluster(cpus=1) as second:
            one = SlurmExecutor(DispatcherExecutor(slurm_conf=first.slurm_conf))
            two = SlurmExecutor(DispatcherExecutor(slurm_conf=second.slurm_conf))
            ended = one.submit(["sleep", "300"], str(tmp_path), "ended", str(tmp_path / "one.log"))
            kept = two.submit(["bash", "-c", held], str(tmp_path), "kept", str(tmp_path / "two.log"))
            assert ended == kept  # the same job number in both clusters
            _running(one, ended)
            _running(two, kept)
            one.cancel(ended)
            assert _final(one, ended) is JobState.CANCELLED  # its end, cgroup cleanup included, is over
            assert two.poll([kept])[kept].state is JobState.RUNNING
            gate.touch()
            assert _final(two, kept) is JobState.SUCCEEDED
    except ClusterUnavailable as exc:
        unavailable(str(exc))
