"""The SSH path: a real sshd on localhost in front of the real Slurm cluster.

The job runs in the remote copy under ``remote_root`` (a different directory on the same
machine), so a passing test shows the copy there, the submit over ssh, and the copy back.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dflow_like.executor import DispatcherExecutor
from dflow_like.executor.slurm import JobState, SlurmExecutor, SlurmSubmitError
from dflow_like.executor.slurm.local_cluster import LocalSlurmCluster

pytestmark = pytest.mark.slurm

SSHD = "/usr/sbin/sshd"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"sshd needed under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """sshd on 127.0.0.1:PORT accepting one generated key for root; stopped by its PID."""
    missing = [p for p in (SSHD, "ssh", "ssh-keygen", "rsync") if not shutil.which(p)]
    if missing or os.geteuid() != 0:
        _unavailable(f"needs root and openssh-server/openssh-client/rsync (missing {missing})")
    d = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / name)], check=True)
    (d / "authorized_keys").write_text((d / "client_key.pub").read_text())
    port = _free_port()
    config = d / "sshd_config"
    config.write_text(
        f"ListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n"
        f"AuthorizedKeysFile {d}/authorized_keys\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "StrictModes no\n"
    )
    os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege-separation directory
    proc = subprocess.Popen([SSHD, "-D", "-e", "-p", str(port), "-f", str(config)])
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                _unavailable(f"sshd did not start (exit {proc.poll()})")
            time.sleep(0.05)
    known_hosts = d / "known_hosts"
    yield {
        "port": port,
        "key": str(d / "client_key"),
        "options": ["-o", f"UserKnownHostsFile={known_hosts}", "-o", "StrictHostKeyChecking=no"],
    }
    proc.terminate()
    proc.wait(timeout=10)


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
