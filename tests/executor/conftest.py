"""Fixtures of the Slurm tests: ``sshd``, a real sshd on localhost for the SSH transport.

The Slurm cluster itself is the session's ``slurm_cluster`` (``tests/fixtures/slurm.py``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

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
