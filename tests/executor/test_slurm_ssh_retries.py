"""A lost SSH connection is retried, a real error is not: a real sshd, real Slurm, faults at the process boundary.

The fault is a fake ``ssh`` first on the engine's ``PATH`` (rsync runs it too): the first
``K`` times it carries an rsync upload (``rsync --server`` without ``--sender``) or download
(``--sender``), it fails as ssh does when the host is away (``Connection refused``, exit 255),
counting in a file; every other call, and the later ones, ``exec`` the real ssh.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dflow_like import DispatcherExecutor, SlurmRemoteExecutor, Step, Workflow, config
from dflow_like.engine.local.workspace import Workspace
from dflow_like.executor.slurm.local_cluster import LocalSlurmCluster
from dflow_like.executor.slurm.transport import transient
from dflow_like.python import PythonOPTemplate

from ..polling import poll
from .slurm_ops import Where

pytestmark = [pytest.mark.slurm, pytest.mark.e2e]

FAKE_SSH = """#!/bin/sh
case " $* " in
  *" --server --sender "*) kind=download ;;
  *" --server "*) kind=upload ;;
  *) exec {ssh} "$@" ;;
esac
n=$(cat "{state}/$kind" 2>/dev/null || echo 0)
if [ "$n" -lt "$(cat "{state}/limit")" ]; then
  echo $((n + 1)) > "{state}/$kind"
  echo "ssh: connect to host 127.0.0.1 port 22: Connection refused" >&2
  exit 255
fi
echo $((n + 1)) > "{state}/$kind"
exec {ssh} "$@"
"""


@pytest.fixture
def flaky_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory: write ``limit`` (K) into it; ``upload``/``download`` count the rsync calls made."""
    state = _fake_ssh(FAKE_SSH, tmp_path, monkeypatch)
    (state / "limit").write_text("0")
    return state


def _fake_ssh(script: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``script`` (``{ssh}``: the real one, ``{state}``: its counters) as ``ssh``, first on ``PATH``."""
    real = shutil.which("ssh")
    assert real is not None
    state, bin_dir = tmp_path / "ssh-state", tmp_path / "fake-bin"
    state.mkdir()
    bin_dir.mkdir()
    fake = bin_dir / "ssh"
    fake.write_text(script.format(ssh=real, state=state))
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")  # the engine inherits it
    return state


def _calls(state: Path, kind: str) -> int:
    path = state / kind
    return int(path.read_text()) if path.exists() else 0


def _engine_log(wf: Workflow) -> str:
    return Workspace(Path(config["home"]), str(wf.id)).engine_log.read_text()


def _ssh(sshd: dict[str, object], user: str = "root") -> dict[str, object]:
    return {
        "host": "127.0.0.1",
        "port": int(str(sshd["port"])),
        "username": user,
        "private_key_file": str(sshd["key"]),
        "remote_command": sys.executable,  # the cluster's Python with dflow_like: here, this one
        "ssh_options": list(sshd["options"]),  # type: ignore[call-overload]
    }


def test_lost_connections_during_upload_and_download_are_retried(
    slurm_cluster: LocalSlurmCluster, sshd: dict[str, object], flaky_ssh: Path, tmp_path: Path
) -> None:
    (flaky_ssh / "limit").write_text("3")  # three failed uploads, then three failed downloads
    executor = DispatcherExecutor(  # type: ignore[misc]
        remote_root=str(tmp_path / "cluster"), slurm_conf=slurm_cluster.slurm_conf, clean=False, **_ssh(sshd)
    )
    wf = Workflow("ssh-retries")
    wf.add(Step("where", PythonOPTemplate(Where), parameters={"x": 3}, executor=executor))
    wf.submit()

    def message() -> str:
        found = wf.query_step(name="where")
        return found[0].message if found else ""

    poll(lambda: "retrying upload of " in message(), "the step to say it retries its upload")
    assert "on 127.0.0.1 (connection lost: ssh: connect to host 127.0.0.1 port 22: Connection refused)" in message()
    assert wf.wait(timeout=180) == "Succeeded", wf.query_message()
    rec = wf.query_step(name="where")[0]
    assert rec.outputs.parameters["y"].value == 30 and rec.outputs.parameters["job"].value  # ran as a job
    assert "x=3" in Path(rec.log_path or "").read_text()  # its log came back
    assert rec.message == ""  # nothing left over from the retries
    assert _calls(flaky_ssh, "upload") == 4 and _calls(flaky_ssh, "download") == 4  # 3 lost + 1 that worked
    log = _engine_log(wf)
    assert log.count("retrying upload of ") == 3 and log.count("retrying download of ") == 3, log
    assert "on 127.0.0.1 (connection lost: ssh: connect to host 127.0.0.1 port 22: Connection refused)" in log


@pytest.mark.parametrize("action", ["upload", "download"])
def test_action_retries_0_fails_the_step_naming_host_and_action(
    slurm_cluster: LocalSlurmCluster, sshd: dict[str, object], flaky_ssh: Path, tmp_path: Path, action: str
) -> None:
    """A download that fails must end the step too (the job's results stay on the cluster), not hang it."""
    (flaky_ssh / "limit").write_text("1")
    if action == "download":
        (flaky_ssh / "upload").write_text("1")  # the upload's one failure is used up: it goes through
    ssh = _ssh(sshd)
    ssh.pop("remote_command")
    executor = SlurmRemoteExecutor(  # type: ignore[arg-type]
        workdir=str(tmp_path / "cluster" / "{{pod.name}}"),
        remote_command=sys.executable,
        interval=1,
        slurm_conf=slurm_cluster.slurm_conf,
        action_retries=0,
        **ssh,
    )
    wf = Workflow("ssh-no-retries")
    wf.add(Step("where", PythonOPTemplate(Where), parameters={"x": 3}, executor=executor))
    wf.submit()
    assert wf.wait(timeout=180) in ("Failed", "Error")
    message = wf.query_step(name="where")[0].message
    assert f"127.0.0.1 unreachable: {action} of " in message and "action_retries=0" in message, message
    assert "Connection refused" in message
    assert _calls(flaky_ssh, action) == 1  # tried once, not again


def test_a_permission_error_is_not_retried(
    slurm_cluster: LocalSlurmCluster, sshd_user: dict[str, object], flaky_ssh: Path, tmp_path: Path
) -> None:
    root_only = Path("/var/tmp") / f"dflow-like-root-only-{os.getpid()}"  # the account cannot write here
    root_only.mkdir(mode=0o755, exist_ok=True)
    try:
        executor = DispatcherExecutor(  # type: ignore[misc]
            remote_root=str(root_only / "cluster"),
            slurm_conf=slurm_cluster.slurm_conf,
            **_ssh(sshd_user, str(sshd_user["user"])),
        )
        wf = Workflow("ssh-denied")
        wf.add(Step("where", PythonOPTemplate(Where), parameters={"x": 3}, executor=executor))
        wf.submit()
        assert wf.wait(timeout=180) in ("Failed", "Error")
    finally:
        shutil.rmtree(root_only, ignore_errors=True)
    message = wf.query_step(name="where")[0].message
    assert "upload " in message and "Permission denied" in message, message
    assert "not a lost connection, so not retried" in message
    assert _calls(flaky_ssh, "upload") == 1  # one try
    assert "retrying" not in _engine_log(wf)


SBATCH_ANSWER_LOST = """#!/bin/sh
case " $* " in
  *" sbatch "*) ;;
  *) exec {ssh} "$@" ;;
esac
n=$(cat "{state}/sbatch" 2>/dev/null || echo 0)
echo $((n + 1)) > "{state}/sbatch"
if [ "$n" -lt 1 ]; then
  {ssh} "$@" > /dev/null  # sbatch runs on the cluster; its answer, the job id, is lost
  echo "Connection to 127.0.0.1 closed by remote host." >&2
  exit 255
fi
exec {ssh} "$@"
"""


@pytest.mark.parametrize("resubmits", [0, 2])
def test_an_sbatch_whose_connection_broke_after_submitting_is_not_submitted_again(
    slurm_cluster: LocalSlurmCluster,
    sshd: dict[str, object],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    resubmits: int,
) -> None:
    """The step adopts the job its first ``sbatch`` submitted (found by its working directory):
    sending the script again (``retry_on_submission_error``) would run the step twice on the
    cluster, and giving up would leave that job running for nobody."""
    state = _fake_ssh(SBATCH_ANSWER_LOST, tmp_path, monkeypatch)
    remote_root = tmp_path / "cluster"
    executor = DispatcherExecutor(  # type: ignore[misc]
        remote_root=str(remote_root),
        slurm_conf=slurm_cluster.slurm_conf,
        retry_on_submission_error=resubmits or None,
        **_ssh(sshd),
    )
    wf = Workflow("ssh-sbatch-lost")
    wf.add(Step("where", PythonOPTemplate(Where), parameters={"x": 4}, executor=executor))
    wf.submit()
    assert wf.wait(timeout=180) == "Succeeded", wf.query_message()

    assert _calls(state, "sbatch") == 1  # the script went once; the job it made was found, not sent again
    env = {**os.environ, "SLURM_CONF": slurm_cluster.slurm_conf}
    listed = subprocess.run(
        ["squeue", "-h", "-t", "all", "-o", "%i|%Z"], capture_output=True, text=True, env=env, check=True
    ).stdout.splitlines()
    jobs = [line.partition("|")[0] for line in listed if line.partition("|")[2].startswith(str(remote_root))]
    assert jobs == [wf.query_step(name="where")[0].outputs.parameters["job"].value]  # one job, and it ran the step
    assert wf.query_step(name="where")[0].outputs.parameters["y"].value == 40


@pytest.mark.parametrize(
    ("code", "stderr", "retried"),
    [
        (255, "ssh: connect to host h port 22: Connection refused", True),
        (255, "kex_exchange_identification: read: Connection reset by peer", True),  # sshd restarting
        (12, "rsync: connection unexpectedly closed (0 bytes received so far) [Receiver]", True),
        (30, "rsync error: timeout in data send/receive (code 30)", True),
        (255, "root@h: Permission denied (publickey).", False),  # a refused login stays refused
        (255, "Host key verification failed.", False),
        (255, "ssh: Could not resolve hostname nohost: Name or service not known", False),  # a typo
        (12, "sh: 1: rsync: command not found\nrsync: connection unexpectedly closed", False),
        (23, 'rsync: [sender] send_files failed to open "x": Permission denied (13)', False),
        (24, 'file has vanished: "x"', False),
        (1, "sbatch: error: Batch job submission failed", False),
    ],
)
def test_which_failures_count_as_a_lost_connection(code: int, stderr: str, retried: bool) -> None:
    assert transient(subprocess.CompletedProcess([], code, "", stderr)) is retried
