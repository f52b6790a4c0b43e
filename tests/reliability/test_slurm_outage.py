"""Item 13: a Slurm controller outage is ridden out. ``sbatch`` runs off the engine's loop
and backs off while the controller is unreachable; the step says it is waiting; local
steps go on meanwhile; when slurmctld is back the job is submitted and the run succeeds."""

from __future__ import annotations

import pytest

from dflow_like import DispatcherExecutor, Step, Workflow
from dflow_like.executor.slurm.local_cluster import LocalSlurmCluster
from dflow_like.python import PythonOPTemplate

from .helpers import TIMEOUT, poll
from .ops_rel import Allocate, NapOrFail

pytestmark = pytest.mark.slurm


def test_a_controller_outage_is_ridden_out(slurm_cluster: LocalSlurmCluster) -> None:
    executor = DispatcherExecutor(slurm_conf=str(slurm_cluster.slurm_conf))
    wf = Workflow("outage")
    remote = Step("remote", PythonOPTemplate(NapOrFail), parameters={"x": 4, "seconds": 0.0}, executor=executor)
    local = Step("local", PythonOPTemplate(Allocate), parameters={"mib": 1})
    wf.add([remote, local])
    slurm_cluster.stop_controller()
    try:
        wf.submit()

        def remote_message() -> str:
            found = wf.query_step(name="remote")
            return found[0].message if found else ""

        poll(lambda: "waiting for the Slurm controller" in remote_message(), "the step to say it waits")
        assert "Unable to contact slurm controller" in remote_message()
        # the engine's loop is free: a local step runs and the run is still going
        poll(lambda: [r.phase for r in wf.query_step(name="local")] == ["Succeeded"], "the local step")
        assert wf.query_status() == "Running"
        assert wf.query_step(name="remote")[0].phase == "Running"
    finally:
        slurm_cluster.start_controller()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    rec = wf.query_step(name="remote")[0]
    assert rec.job_id and rec.message == "" and rec.outputs.parameters["y"].value == 40
