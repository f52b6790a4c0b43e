"""Sliced steps through the SSH transport, end to end: a workflow, a real sshd, real Slurm.

The "cluster side" is ``remote_root`` on this same machine, so a job that wrongly worked
in the engine's own directories would still find them here; each item therefore reports
its working directory, which must be in the copy under ``remote_root``, and its outputs
(a log, an artifact) must come back to the engine's directories before the copy is removed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dflow_like import DispatcherExecutor, Step, Workflow, download_artifact
from dflow_like.executor.slurm.local_cluster import LocalSlurmCluster
from dflow_like.python import PythonOPTemplate, Slices

from .slurm_ops import Where

pytestmark = [pytest.mark.slurm, pytest.mark.e2e]


def _over_ssh(
    cluster: LocalSlurmCluster, sshd: dict[str, object], remote_root: Path, **kw: object
) -> DispatcherExecutor:
    return DispatcherExecutor(  # type: ignore[misc]
        host="127.0.0.1",
        port=int(str(sshd["port"])),
        username="root",
        private_key_file=str(sshd["key"]),
        remote_root=str(remote_root),
        remote_command=sys.executable,  # the cluster's Python with dflow_like: here, this one
        slurm_conf=cluster.slurm_conf,
        ssh_options=list(sshd["options"]),  # type: ignore[call-overload]
        **kw,
    )


@pytest.mark.parametrize(
    ("how", "slices_kw", "executor_kw", "jobs_of"),
    [
        ("group_size=2", {"group_size": 2, "pool_size": 2}, {}, [0, 0, 2, 2, 4]),  # items 1,2 | 3,4 | 5
        ("array", {}, {"array": True}, [0, 0, 0, 0, 0]),  # one array job
    ],
)
def test_sliced_step_over_ssh_runs_in_the_cluster_copy_and_gathers_outputs(
    slurm_cluster: LocalSlurmCluster,
    sshd: dict[str, object],
    tmp_path: Path,
    how: str,
    slices_kw: dict[str, int],
    executor_kw: dict[str, bool],
    jobs_of: list[int],
) -> None:
    remote_root = tmp_path / "cluster"
    slices = Slices(input_parameter=["x"], output_parameter=["y", "job", "cwd"], output_artifact=["note"], **slices_kw)
    wf = Workflow("ssh-slices")
    executor = _over_ssh(slurm_cluster, sshd, remote_root, **executor_kw)
    wf.add(Step("items", PythonOPTemplate(Where, slices=slices), parameters={"x": [1, 2, 3, 4, 5]}, executor=executor))
    wf.submit()
    assert wf.wait(timeout=180) == "Succeeded", (how, wf.query_message())

    group = wf.query_step(name="items", type="StepGroup")[0]
    assert group.outputs.parameters["y"].value == [10, 20, 30, 40, 50]
    jobs = group.outputs.parameters["job"].value
    assert all(jobs) and [jobs.index(j) for j in jobs] == jobs_of  # each item's job's first item

    items = sorted(
        (r for r in wf.query_step(name="items") if r.type == "Pod"), key=lambda r: r.inputs.parameters["x"].value
    )
    for x, record in zip([1, 2, 3, 4, 5], items):
        attempt = Path(record.log_path or "").parent
        assert record.outputs.parameters["cwd"].value == f"{remote_root}{attempt}/workdir"  # ran in the copy
        assert f"running x={x}" in (attempt / "log.txt").read_text()  # its log came back
        assert not (remote_root / str(attempt).lstrip("/")).exists()  # clean=True: the copy is gone
    notes = download_artifact(group.outputs.artifacts["note"], path=tmp_path / "notes")
    assert sorted(Path(n).read_text() for n in notes) == [f"x={x}" for x in [1, 2, 3, 4, 5]]
