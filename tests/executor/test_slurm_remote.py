"""dflow's ``SlurmRemoteExecutor`` (dflow ``src/dflow/slurm.py``) on dflow_like: a real sshd, real Slurm.

The program is dflow's ``examples/test_slurm.py`` after renaming its imports: ``Hello`` sliced
over ``argo_range(2)`` with ``key="hello-{{item}}"``, then ``Check`` reading the files. The
"login node" is this machine behind the ``sshd`` fixture; ``workdir`` is a directory of the
test, so each step's copy on the cluster side can be looked at (dflow leaves it there).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dflow_like import SlurmRemoteExecutor, Step, Workflow, argo_range
from dflow_like.executor.slurm.local_cluster import LocalSlurmCluster
from dflow_like.python import PythonOPTemplate, Slices

from .slurm_remote_ops import Check, Hello

pytestmark = [pytest.mark.slurm, pytest.mark.e2e]

HEADER = (  # dflow's example header, one more directive (indented: dflow drops spaces before '#') and a command
    "#!/bin/bash\n#SBATCH -N 1\n#SBATCH -n 1\n  #SBATCH --comment=from-dflow-header\necho header ran > header.txt\n"
)


def _executor(cluster: LocalSlurmCluster, sshd: dict[str, object], workdir: str) -> SlurmRemoteExecutor:
    return SlurmRemoteExecutor(
        host="127.0.0.1",
        port=int(str(sshd["port"])),
        username="root",
        private_key_file=str(sshd["key"]),
        header=HEADER,
        workdir=workdir,
        remote_command=sys.executable,  # the cluster's Python with dflow_like: here, this one
        interval=1,
        slurm_conf=cluster.slurm_conf,  # ours: the test cluster's config, for its commands over ssh
        ssh_options=list(sshd["options"]),  # type: ignore[call-overload]
    )


def test_dflow_test_slurm_program_runs_through_slurm_over_ssh(
    slurm_cluster: LocalSlurmCluster, sshd: dict[str, object], tmp_path: Path
) -> None:
    """dflow ``examples/test_slurm.py``'s workflow: each item a Slurm job in ``workdir``, Check reads them."""
    cluster_side = tmp_path / "cluster"
    executor = _executor(slurm_cluster, sshd, f"{cluster_side}/{{{{workflow.name}}}}/{{{{pod.name}}}}")
    wf = Workflow("slurm-slices")
    hello = Step(
        "hello",
        PythonOPTemplate(Hello, slices=Slices("{{item}}", input_parameter=["filename"], output_artifact=["foo"])),
        parameters={"filename": ["f1.txt", "f2.txt"]},
        with_param=argo_range(2),
        key="hello-{{item}}",
        executor=executor,
    )
    wf.add(hello)
    check = Step(
        "check", PythonOPTemplate(Check, image="python:3.8"), artifacts={"foo": hello.outputs.artifacts["foo"]}
    )
    wf.add(check)
    wf.submit()
    assert wf.wait(timeout=180) == "Succeeded", wf.query_message()

    items = [wf.query_step(key=f"hello-{i}")[0] for i in range(2)]
    assert [r.phase for r in items] == ["Succeeded", "Succeeded"]
    jobs = [r.job_id for r in items]
    assert all(j and j.isdigit() for j in jobs), jobs  # each item was a Slurm job
    contents = wf.query_step(name="check")[0].outputs.parameters["contents"].value
    assert contents == [f"f{i + 1}.txt: foo from job {jobs[i]}" for i in range(2)]  # written inside that job

    for record in items:
        attempt = Path(record.log_path or "").parent
        copy = cluster_side / str(wf.id) / record.id / attempt.name  # workdir with its placeholders filled
        assert (copy / "workdir" / Path(record.inputs.parameters["filename"].value)).exists()
        assert (copy / "header.txt").read_text() == "header ran\n"  # the header's command ran, in the step
        assert (attempt / "header.txt").read_text() == "header ran\n"  # and its directory came back


def test_header_directives_reach_sbatch(
    slurm_cluster: LocalSlurmCluster, sshd: dict[str, object], tmp_path: Path
) -> None:
    """The header's ``#SBATCH`` lines are the job's: Slurm shows its ``--comment``, ``-N``, ``-n``."""
    executor = _executor(slurm_cluster, sshd, f"{tmp_path}/cluster/{{{{pod.name}}}}")
    wf = Workflow("slurm-header")
    wf.add(Step("hello", PythonOPTemplate(Hello), parameters={"filename": "f.txt"}, executor=executor))
    wf.submit()
    assert wf.wait(timeout=120) == "Succeeded", wf.query_message()
    job = wf.query_step(name="hello")[0].job_id
    shown = slurm_cluster.run(["scontrol", "show", "job", "-o", str(job)])
    assert shown.returncode == 0, shown.stderr
    fields = dict(f.split("=", 1) for f in shown.stdout.split() if "=" in f)
    assert (fields["Comment"], fields["NumNodes"], fields["NumTasks"]) == ("from-dflow-header", "1", "1")


@pytest.mark.parametrize(
    ("kwargs", "named", "says"),
    [
        ({"docker_executable": "docker"}, "docker_executable", "container"),
        ({"workdir": "/data/{{workflow.uid}}/{{pod.name}}"}, "workdir", "{{workflow.uid}}"),
        ({"workdir": "~alice/dflow"}, "workdir", "~alice"),
        ({"interval": 0}, "interval", "got 0"),
        ({"port": "22"}, "port", "got '22'"),
        ({"action_retries": -2}, "action_retries", "got -2"),
        ({"private_key_file": "/no/such/key"}, "private_key_file", "got '/no/such/key'"),
    ],
)
def test_values_that_cannot_work_are_refused_naming_the_keyword(
    kwargs: dict[str, object], named: str, says: str
) -> None:
    with pytest.raises(ValueError) as caught:
        SlurmRemoteExecutor("login1", **kwargs)  # type: ignore[arg-type]
    assert f"SlurmRemoteExecutor({named}=...)" in str(caught.value) and says in str(caught.value)


def test_password_with_a_key_uses_the_key_and_never_stores_the_password(tmp_path: Path) -> None:
    import pickle

    (tmp_path / "id").write_text("key")
    ex = SlurmRemoteExecutor("login1", password="s3cret", private_key_file=tmp_path / "id")
    assert "s3cret" not in repr(ex)
    assert pickle.loads(pickle.dumps(ex)).password is None


def test_every_dflow_keyword_is_accepted(tmp_path: Path) -> None:
    """dflow's ``SlurmRemoteExecutor.__init__`` arguments, Kubernetes-only ones included."""
    (tmp_path / "id").write_text("key")
    ex = SlurmRemoteExecutor(
        host="login1",
        port=2222,
        username="alice",
        password=None,
        private_key_file=str(tmp_path / "id"),
        workdir="/data/dflow/workflows/{{workflow.name}}/{{pod.name}}",
        command=["sh"],
        remote_command="python3.11",
        image="dptechnology/dflow-extender",
        image_pull_policy="IfNotPresent",
        map_tmp_dir=False,
        docker_executable=None,
        singularity_executable=None,
        podman_executable=None,
        action_retries=3,
        header="#!/bin/bash\n#SBATCH -p cpu\n#SBATCH --time=1:00:00\nmodule load vasp\n#SBATCH --ignored\n",
        interval=5,
        pvc=object(),
    )
    assert (ex.host, ex.port, ex.username, ex.remote_command) == ("login1", 2222, "alice", ["python3.11"])
    assert ex.sbatch_lines == ["-p cpu", "--time=1:00:00"]  # sbatch stops at the first command
    assert ex.pre_script == "module load vasp\n#SBATCH --ignored"
    assert (ex.interval, ex.workdir, ex.clean) == (5, "/data/dflow/workflows/{{workflow.name}}/{{pod.name}}", False)


def test_slurm_job_template_program_is_refused_at_submit_naming_the_alternative() -> None:
    """dflow ``examples/test_wlm.py``: it imports and builds; ``submit()`` refuses it before anything runs."""
    from dflow_like import DefinitionError, SlurmJobTemplate

    wf = Workflow(name="wlm")
    executor = SlurmJobTemplate(
        header="#!/bin/sh\n#SBATCH --nodes=1", node_selector={"kubernetes.io/hostname": "slurm-minikube-v100"}
    )
    slices = Slices("{{item}}", input_parameter=["filename"], output_artifact=["foo"])
    hello = Step(
        "hello",
        PythonOPTemplate(Hello, image="python:3.8", slices=slices),
        parameters={"filename": ["f1.txt", "f2.txt"]},
        with_param=argo_range(2),
        key="hello-{{item}}",
        executor=executor,
    )
    wf.add(hello)
    with pytest.raises(DefinitionError) as caught:
        wf.submit()
    message = str(caught.value)
    assert "step 'hello'" in message and "SlurmJobTemplate" in message and "wlm-operator" in message
    assert "SlurmRemoteExecutor(host=" in message
    assert wf.id is None  # no run was started
