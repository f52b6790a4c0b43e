"""Steps with ``executor=DispatcherExecutor(...)`` run as real Slurm jobs under the local engine."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from dflow_like import DispatcherExecutor, Step, Workflow, download_artifact
from dflow_like.executor.slurm.local_cluster import LocalSlurmCluster
from dflow_like.python import PythonOPTemplate, Slices
from tests.polling import poll

from .slurm_ops import Boom, Held, Hog, Nap, Where

pytestmark = pytest.mark.slurm


def executor(cluster: LocalSlurmCluster, **kwargs: object) -> DispatcherExecutor:
    return DispatcherExecutor(slurm_conf=str(cluster.slurm_conf), **kwargs)  # type: ignore[arg-type]


def test_workflow_mixing_local_and_slurm_steps(slurm_cluster: LocalSlurmCluster, tmp_path: Path) -> None:
    wf = Workflow("mixed")
    local = Step("local", PythonOPTemplate(Where), parameters={"x": 1})
    remote = Step(
        "remote",
        PythonOPTemplate(Where),
        parameters={"x": local.outputs.parameters["y"]},
        executor=executor(slurm_cluster, cpus=1, memory="200M"),
    )
    wf.add(local)
    wf.add(remote)
    wf.submit()
    assert wf.wait(timeout=120) == "Succeeded"
    local_rec, remote_rec = wf.query_step(name="local")[0], wf.query_step(name="remote")[0]
    assert local_rec.outputs.parameters["job"].value == ""
    job = remote_rec.outputs.parameters["job"].value
    assert job and remote_rec.job_id == job  # really ran as that Slurm job
    assert remote_rec.outputs.parameters["y"].value == 100
    (note,) = download_artifact(remote_rec.outputs.artifacts["note"], path=tmp_path / "dl")
    assert Path(note).read_text() == "x=10"
    assert "running x=10" in Path(remote_rec.log_path or "").read_text()


def test_failing_job_fails_its_step_with_the_traceback_in_its_log(slurm_cluster: LocalSlurmCluster) -> None:
    wf = Workflow("slurm-fail")
    wf.add(Step("boom", PythonOPTemplate(Boom), executor=executor(slurm_cluster)))
    wf.submit()
    assert wf.wait(timeout=120) == "Failed"
    rec = wf.query_step(name="boom")[0]
    assert rec.phase == "Failed" and "boom on the cluster" in rec.message
    assert "RuntimeError: boom on the cluster" in Path(rec.log_path or "").read_text()


def test_job_over_its_memory_limit_is_an_error(slurm_cluster: LocalSlurmCluster) -> None:
    if not slurm_cluster.cgroup:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"this cluster cannot enforce memory: {slurm_cluster.note}", pytrace=False)
        pytest.skip(f"this cluster cannot enforce memory: {slurm_cluster.note}")
    wf = Workflow("slurm-oom")
    wf.add(Step("hog", PythonOPTemplate(Hog), executor=executor(slurm_cluster, memory="100M")))
    wf.submit()
    assert wf.wait(timeout=120) == "Failed"
    rec = wf.query_step(name="hog")[0]
    assert rec.phase == "Error" and "OUT_OF_MEMORY" in rec.message


def test_timeout_cancels_the_job_and_retry_runs_it_again(slurm_cluster: LocalSlurmCluster) -> None:
    template = PythonOPTemplate(Nap, timeout=3, retry_on_failure=1)
    wf = Workflow("slurm-timeout")
    wf.add(Step("nap", template, parameters={"seconds": 60.0}, executor=executor(slurm_cluster)))
    wf.submit()
    assert wf.wait(timeout=120) == "Failed"  # an attempt not cut at 3 s would have succeeded
    rec = wf.query_step(name="nap")[0]
    assert rec.attempts == 2 and "timed out after 3 s" in rec.message
    assert slurm_cluster.run(["squeue", "-h", "-n", "nap"]).stdout.strip() == ""  # nothing left running


def test_terminate_cancels_running_jobs(slurm_cluster: LocalSlurmCluster) -> None:
    wf = Workflow("slurm-stop")
    wf.add(Step("nap", PythonOPTemplate(Nap), parameters={"seconds": 120.0}, executor=executor(slurm_cluster)))
    wf.submit()
    job = _job_of(wf, "nap")
    wf.terminate()
    assert wf.wait(timeout=60) == "Failed"
    poll(lambda: not slurm_cluster.run(["squeue", "-h", "-j", job]).stdout.strip(), f"job {job} to leave squeue")


def test_sliced_step_as_one_array_job(slurm_cluster: LocalSlurmCluster) -> None:
    template = PythonOPTemplate(Where, slices=Slices(input_parameter=["x"], output_parameter=["y", "job"]))
    wf = Workflow("slurm-array")
    wf.add(Step("items", template, parameters={"x": [1, 2, 3, 4]}, executor=executor(slurm_cluster, array=True)))
    wf.submit()
    assert wf.wait(timeout=120) == "Succeeded"
    group = wf.query_step(name="items", type="StepGroup")[0]
    assert group.outputs.parameters["y"].value == [10, 20, 30, 40]
    jobs = group.outputs.parameters["job"].value
    assert len(set(jobs)) == 1 and jobs[0]  # one array job ran every item
    items = [r for r in wf.query_step(name="items") if r.type == "Pod"]
    assert sorted(r.job_id for r in items if r.job_id) == [f"{jobs[0]}_{i}" for i in range(4)]


def test_resume_waits_for_a_job_that_is_still_running(slurm_cluster: LocalSlurmCluster, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    wf = Workflow("slurm-resume")
    held = Step("nap", PythonOPTemplate(Held), parameters={"gate": str(gate)}, executor=executor(slurm_cluster))
    wf.add(held)
    wf.add(Step("after", PythonOPTemplate(Where), parameters={"x": 2}))
    wf.submit()
    job = _job_of(wf, "nap")
    engine_pid = _engine_pid(wf)
    os.kill(engine_pid, signal.SIGKILL)  # the engine dies; the Slurm job does not
    poll(lambda: wf.query_status() == "Error", "the run to show Error once its engine is killed")
    assert slurm_cluster.run(["squeue", "-h", "-j", str(job)]).stdout.strip() != ""  # held at its gate
    wf.resume()
    gate.touch()
    assert wf.wait(timeout=120) == "Succeeded"
    rec = wf.query_step(name="nap")[0]
    assert rec.job_id == job and rec.attempts == 1  # waited for the same job, did not resubmit
    assert wf.query_step(name="after")[0].phase == "Succeeded"


def _job_of(wf: Workflow, step: str) -> str:
    """The Slurm job id of ``step``, once the engine has submitted it."""

    def submitted() -> str:
        records = wf.query_step(name=step)
        return (records[0].job_id or "") if records else ""

    return poll(submitted, f"step {step!r} to be submitted to Slurm")


def _engine_pid(wf: Workflow) -> int:
    from dflow_like.engine.local.backend import LocalBackend

    return int(LocalBackend()._row(wf.id or "")["engine_pid"])


def test_sliced_step_in_groups_of_items_per_job(slurm_cluster: LocalSlurmCluster) -> None:
    slices = Slices(input_parameter=["x"], output_parameter=["y", "job"], group_size=2, pool_size=2)
    wf = Workflow("slurm-groups")
    wf.add(
        Step(
            "items",
            PythonOPTemplate(Where, slices=slices),
            parameters={"x": [1, 2, 3, 4, 5]},
            executor=executor(slurm_cluster),
        )
    )
    wf.submit()
    assert wf.wait(timeout=120) == "Succeeded"
    group = wf.query_step(name="items", type="StepGroup")[0]
    assert group.outputs.parameters["y"].value == [10, 20, 30, 40, 50]
    jobs = group.outputs.parameters["job"].value
    assert jobs[0] == jobs[1] and jobs[2] == jobs[3] and len(set(jobs)) == 3  # 5 items in jobs of 2, 2, 1


def test_slurm_job_imports_ops_from_the_users_module(slurm_cluster: LocalSlurmCluster, tmp_path: Path) -> None:
    """``python -c`` puts ``''`` on ``sys.path``: the job must still find ``myops`` beside the driver."""
    import subprocess
    import sys
    import textwrap

    project = tmp_path / "project"
    project.mkdir()
    (project / "myops.py").write_text(
        textwrap.dedent("""
        from dflow_like.python import OP, OPIO, OPIOSign

        class Triple(OP):
            @classmethod
            def get_input_sign(cls):
                return OPIOSign({"x": int})

            @classmethod
            def get_output_sign(cls):
                return OPIOSign({"y": int})

            def execute(self, op_in):
                return OPIO({"y": 3 * op_in["x"]})
        """)
    )
    driver = textwrap.dedent(f"""
        from dflow_like import DispatcherExecutor, Step, Workflow
        from dflow_like.python import PythonOPTemplate
        from myops import Triple

        wf = Workflow("slurm-mods")
        executor = DispatcherExecutor(slurm_conf={str(slurm_cluster.slurm_conf)!r})
        wf.add(Step("triple", PythonOPTemplate(Triple), parameters={{"x": 5}}, executor=executor))
        wf.submit()
        print(wf.wait(timeout=120), wf.query_message())
        print(wf.query_step(name="triple")[0].outputs.parameters["y"].value)
    """)
    done = subprocess.run(
        [sys.executable, "-c", driver], cwd=project, capture_output=True, text=True, timeout=180, check=True
    )
    assert done.stdout.split() == ["Succeeded", "15"]


def test_slurm_queue_time_is_apart_from_running_time(slurm_cluster: LocalSlurmCluster) -> None:
    wf = Workflow("slurm-times")
    wf.add(Step("where", PythonOPTemplate(Where), parameters={"x": 2}, executor=executor(slurm_cluster)))
    wf.submit()
    assert wf.wait(timeout=120) == "Succeeded"
    rec = wf.query_step(name="where")[0]
    assert rec.start_time is not None and rec.run_start_time is not None and rec.end_time is not None
    assert rec.start_time < rec.run_start_time <= rec.end_time  # the job's own start, after sbatch
    assert rec.queued is not None and rec.duration == rec.end_time - rec.run_start_time
