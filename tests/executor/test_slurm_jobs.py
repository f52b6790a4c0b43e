"""SlurmExecutor against a real single-node Slurm (``slurm_cluster`` fixture)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from dflow_like.executor import DispatcherExecutor
from dflow_like.executor.slurm import JobState, JobStatus, SlurmExecutor, SlurmSubmitError
from dflow_like.executor.slurm.local_cluster import LocalSlurmCluster
from dflow_like.executor.slurm.transport import LocalTransport
from tests.polling import poll

pytestmark = pytest.mark.slurm


def _executor(cluster: LocalSlurmCluster, **kw: object) -> SlurmExecutor:
    return SlurmExecutor(DispatcherExecutor(slurm_conf=cluster.slurm_conf, **kw))  # type: ignore[arg-type]


def _sh(script: str) -> list[str]:
    return ["bash", "-c", script]


def wait_final(ex: SlurmExecutor, ids: Sequence[str], timeout: float = 30.0) -> dict[str, JobStatus]:
    deadline = time.monotonic() + timeout
    while True:
        seen = ex.poll(list(ids))
        if all(seen[i].state.finished for i in ids) or time.monotonic() > deadline:
            return seen
        time.sleep(0.2)


@pytest.fixture(scope="module")
def timeout_job(slurm_cluster: LocalSlurmCluster, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Submitted first and checked last: Slurm's 1-minute floor then overlaps the other tests."""
    work = tmp_path_factory.mktemp("timeout")
    ex = _executor(slurm_cluster, time_limit=60)
    return ex.submit(_sh("sleep 300"), str(work), "too-slow", str(work / "slurm.log"))


@pytest.fixture(autouse=True, scope="module")
def _start_timeout_job_early(timeout_job: str) -> Iterator[None]:
    yield


def test_job_succeeds_and_writes_in_its_workdir(slurm_cluster: LocalSlurmCluster, tmp_path: Path) -> None:
    ex = _executor(slurm_cluster, cpus=1, memory="100M", envs={"WHO": "slurm"})
    job = ex.submit(_sh('echo "hi $WHO" > out.txt; echo logged'), str(tmp_path), "ok", str(tmp_path / "s.log"))
    assert ex.poll([job])[job].state in (JobState.PENDING, JobState.RUNNING, JobState.SUCCEEDED)
    status = wait_final(ex, [job])[job]
    assert status == JobStatus(JobState.SUCCEEDED, 0, "COMPLETED")
    assert (tmp_path / "out.txt").read_text() == "hi slurm\n"
    assert (tmp_path / "s.log").read_text() == "logged\n"


def test_failing_job_reports_its_exit_code(slurm_cluster: LocalSlurmCluster, tmp_path: Path) -> None:
    ex = _executor(slurm_cluster)
    job = ex.submit(_sh("echo boom >&2; exit 3"), str(tmp_path), "bad", str(tmp_path / "s.log"))
    status = wait_final(ex, [job])[job]
    assert (status.state, status.exit_code) == (JobState.FAILED, 3)
    assert "NonZeroExitCode" in status.reason
    assert "boom" in (tmp_path / "s.log").read_text()


def test_job_over_its_memory_limit_is_out_of_memory(slurm_cluster: LocalSlurmCluster, tmp_path: Path) -> None:
    if not slurm_cluster.cgroup:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"memory limits need cgroup enforcement: {slurm_cluster.note}", pytrace=False)
        pytest.skip(f"memory limits need cgroup enforcement: {slurm_cluster.note}")
    ex = _executor(slurm_cluster, memory="50M")
    hog = "import time; x = bytearray(400 * 2**20); time.sleep(5)"
    job = ex.submit(["python3", "-c", hog], str(tmp_path), "hog", str(tmp_path / "s.log"))
    assert wait_final(ex, [job])[job].state is JobState.OUT_OF_MEMORY


def test_cancel_running_job(slurm_cluster: LocalSlurmCluster, tmp_path: Path) -> None:
    ex = _executor(slurm_cluster)
    job = ex.submit(_sh("sleep 120"), str(tmp_path), "long", str(tmp_path / "s.log"))
    poll(lambda: ex.poll([job])[job].state is JobState.RUNNING, f"job {job} to run")
    ex.cancel(job)
    assert wait_final(ex, [job])[job].state is JobState.CANCELLED
    ex.cancel(job)  # cancelling a finished job is not an error


def test_array_job_reports_each_task(slurm_cluster: LocalSlurmCluster, tmp_path: Path) -> None:
    ex = _executor(slurm_cluster, array=True)
    i = "$SLURM_ARRAY_TASK_ID"
    script = f'echo "item {i}" > "out_{i}"; [ "{i}" != 2 ]'
    job = ex.submit(_sh(script), str(tmp_path), "fan", str(tmp_path / "s.log"), array_size=4)
    tasks = [f"{job}_{i}" for i in range(4)]
    seen = wait_final(ex, tasks)
    assert [seen[t].state for t in tasks] == [
        JobState.SUCCEEDED,
        JobState.SUCCEEDED,
        JobState.FAILED,
        JobState.SUCCEEDED,
    ]
    assert seen[f"{job}_2"].exit_code == 1
    assert (tmp_path / "out_3").read_text() == "item 3\n"
    assert sorted(p.name for p in tmp_path.glob("s_*.log")) == [f"s_{i}.log" for i in range(4)]
    whole = ex.poll([job])
    assert whole[job].state is JobState.FAILED
    assert "1 of 4 tasks failed" in whole[job].reason
    assert set(whole) == {job, *tasks}


def test_a_new_executor_picks_up_a_running_job(slurm_cluster: LocalSlurmCluster, tmp_path: Path) -> None:
    first = _executor(slurm_cluster)
    held = "for _ in $(seq 600); do [ -e gate ] && exit 0; sleep 0.1; done; exit 1"  # runs until the test opens it
    job = first.submit(_sh(held), str(tmp_path), "resume", str(tmp_path / "s.log"))
    second = _executor(slurm_cluster)  # e.g. the engine restarted
    assert second.poll([job])[job].state in (JobState.PENDING, JobState.RUNNING)
    (tmp_path / "gate").touch()
    assert wait_final(second, [job])[job].state is JobState.SUCCEEDED


class _ForgetfulSqueue(LocalTransport):
    """The real Slurm, but as if squeue had already forgotten every job (MinJobAge passed)."""

    def run(
        self, argv: Sequence[str], stdin: str | None = None, retry: bool = True
    ) -> subprocess.CompletedProcess[str]:
        if argv[0] == "squeue":
            return subprocess.CompletedProcess(list(argv), 1, "", "Invalid job id specified")
        return super().run(argv, stdin, retry)


def test_forgotten_jobs_come_from_the_jobcomp_file(slurm_cluster: LocalSlurmCluster, tmp_path: Path) -> None:
    ex = _executor(slurm_cluster)
    ok = ex.submit(_sh("true"), str(tmp_path), "a", str(tmp_path / "a.log"))
    bad = ex.submit(_sh("exit 4"), str(tmp_path), "b", str(tmp_path / "b.log"))
    arr = ex.submit(_sh("true"), str(tmp_path), "c", str(tmp_path / "c.log"), array_size=2)
    wait_final(ex, [ok, bad, f"{arr}_0", f"{arr}_1"])
    spec = DispatcherExecutor(slurm_conf=slurm_cluster.slurm_conf)
    late = SlurmExecutor(spec, transport=_ForgetfulSqueue(slurm_cluster.slurm_conf))
    seen = late.poll([ok, bad, f"{arr}_1", "999999"])
    assert seen[ok].state is JobState.SUCCEEDED
    assert (seen[bad].state, seen[bad].exit_code) == (JobState.FAILED, 4)
    assert seen[f"{arr}_1"].state is JobState.SUCCEEDED
    assert seen["999999"].state is JobState.UNKNOWN


def test_sbatch_refusal_names_the_job_and_slurms_reason(slurm_cluster: LocalSlurmCluster, tmp_path: Path) -> None:
    ex = _executor(slurm_cluster, partition="nosuch")
    with pytest.raises(SlurmSubmitError, match=r"'my-step'.*[Ii]nvalid partition"):
        ex.submit(_sh("true"), str(tmp_path), "my-step", str(tmp_path / "s.log"))


def test_unknown_job_is_unknown(slurm_cluster: LocalSlurmCluster) -> None:
    seen = _executor(slurm_cluster).poll(["987654"])
    assert seen["987654"].state is JobState.UNKNOWN


@pytest.mark.slow
def test_job_over_its_time_limit_times_out(slurm_cluster: LocalSlurmCluster, timeout_job: str) -> None:
    ex = _executor(slurm_cluster)
    status = wait_final(ex, [timeout_job], timeout=150)[timeout_job]
    assert status.state is JobState.TIMEOUT, status
