"""Item 14: after a resume, items keep their Slurm job ids in the step records, whether
their jobs ended before the engine died or while it was dead, and a failed item says
why (which feeds the run's ``query_message``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dflow_like import DispatcherExecutor, Step, Workflow
from dflow_like.executor.slurm.local_cluster import LocalSlurmCluster
from dflow_like.python import PythonOPTemplate, Slices

from .helpers import TIMEOUT, kill_engine, poll
from .ops_rel import NapOrFail

pytestmark = pytest.mark.slurm


def _queued(cluster: LocalSlurmCluster, job: str) -> bool:
    return bool(cluster.run(["squeue", "-h", "-j", job.split("_")[0]]).stdout.strip())


@pytest.mark.parametrize("array", [True, False])
def test_items_whose_jobs_ended_while_the_engine_was_dead_keep_their_job_ids(
    slurm_cluster: LocalSlurmCluster, array: bool
) -> None:
    slices = Slices(input_parameter=["x", "seconds"], output_parameter=["y"])
    executor = DispatcherExecutor(slurm_conf=str(slurm_cluster.slurm_conf), array=array)
    wf = Workflow("slurm-ids")
    wf.add(
        Step(
            "items",
            PythonOPTemplate(NapOrFail, slices=slices),
            parameters={"x": [1, -2, 3], "seconds": [0.0, 3.0, 3.0]},
            executor=executor,
            continue_on_failed=True,
        )
    )
    wf.submit()

    def items() -> list[object]:
        return [r for r in wf.query_step(name="items") if r.type == "Pod"]

    poll(lambda: len(items()) == 3 and all(r.job_id for r in items()), "every item's job id")  # type: ignore[attr-defined]
    jobs = {r.key or r.id: r.job_id for r in items()}  # type: ignore[attr-defined]
    poll(lambda: any(r.phase == "Succeeded" for r in items()), "the quick item to succeed")  # type: ignore[attr-defined]
    kill_engine(wf)
    poll(lambda: not any(_queued(slurm_cluster, j or "") for j in jobs.values()), "the jobs to end", TIMEOUT)

    wf.resume()
    assert wf.wait(timeout=TIMEOUT) in ("Succeeded", "Failed")
    after = {r.key or r.id: r for r in items()}  # type: ignore[attr-defined]
    assert {k: r.job_id for k, r in after.items()} == jobs  # the same jobs, not resubmitted
    failed = [r for r in after.values() if r.phase == "Failed"]
    assert len(failed) == 1 and "item -2 refused on the cluster" in failed[0].message
    assert all(r.attempts == 1 for r in after.values())
    assert Path(failed[0].log_path or "").exists()
