"""Fixtures of the Slurm tests: real sshds on localhost for the SSH transport.

``sshd`` accepts one generated key for root. ``sshd_password`` accepts a password for a
test account made for it, and the same kind of key (to see which one logs in, its log
says "Accepted password"/"Accepted publickey"). ``sshd_user`` accepts a key for an
unprivileged account, which cannot read root's files as a real cluster cannot read ours.
The Slurm cluster itself is the session's ``slurm_cluster`` (``tests/fixtures/slurm.py``).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"
_COMMON = "UsePAM no\nStrictModes no\nKbdInteractiveAuthentication no\n"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"sshd needed under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _keys(d: Path, *tools: str) -> None:
    missing = [p for p in (SSHD, "ssh", "ssh-keygen", "rsync", *tools) if not shutil.which(p)]
    if missing or os.geteuid() != 0:
        _unavailable(f"needs root and openssh-server/openssh-client/rsync (missing {missing})")
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / name)], check=True)
    (d / "authorized_keys").write_text((d / "client_key.pub").read_text())


def _serve(d: Path, config: str) -> Iterator[dict[str, object]]:
    """Run sshd on 127.0.0.1:PORT with ``config`` (plus the host key, pid file, keys file); stop it by its PID."""
    port = _free_port()
    (d / "sshd_config").write_text(
        f"ListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n"
        f"AuthorizedKeysFile {d}/authorized_keys\n{config}{_COMMON}"
    )
    os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege-separation directory
    proc = subprocess.Popen([SSHD, "-D", "-e", "-p", str(port), "-f", str(d / "sshd_config"), "-E", str(d / "log")])
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
    try:
        yield {
            "port": port,
            "key": str(d / "client_key"),
            "options": ["-o", f"UserKnownHostsFile={d}/known_hosts", "-o", "StrictHostKeyChecking=no"],
            "log": d / "log",
        }
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """sshd on 127.0.0.1:PORT accepting one generated key for root; stopped by its PID."""
    d = tmp_path_factory.mktemp("sshd")
    _keys(d)
    yield from _serve(d, "PermitRootLogin prohibit-password\nPasswordAuthentication no\n")


@pytest.fixture(scope="module")
def sshd_password(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """sshd accepting ``password`` (random, per module) or ``key`` for ``user``, an account made for it.

    ``user`` is another name for uid 0 (``useradd -o -u 0``), home in a temporary directory,
    so its session is root's as in the ``sshd`` tests (Slurm, the test's files) while its
    password is its own: root's account is left alone. The account is removed afterwards.
    """
    d = tmp_path_factory.mktemp("sshd-password")
    _keys(d, "sshpass", "useradd", "chpasswd", "userdel")
    user = f"dflowlike-pw{os.getpid()}"
    password = f"pw {secrets.token_urlsafe(12)}!"  # a space and a shell character: quoting must not matter
    subprocess.run(["userdel", "-f", user], capture_output=True, check=False)  # a crashed run's
    made = subprocess.run(
        ["useradd", "-o", "-u", "0", "-g", "0", "-M", "-d", str(d), "-s", "/bin/sh", user],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        _unavailable(f"cannot add the test account {user}: {made.stderr.strip()}")
    try:
        subprocess.run(["chpasswd"], input=f"{user}:{password}\n", text=True, check=True)
        for served in _serve(d, "PermitRootLogin yes\nPasswordAuthentication yes\n"):
            yield {**served, "user": user, "password": password}
    finally:
        subprocess.run(["userdel", "-f", user], capture_output=True, check=False)  # -f: uid 0 always has processes


@pytest.fixture(scope="module")
def sshd_user() -> Iterator[dict[str, object]]:
    """sshd accepting ``key`` for ``user``, an unprivileged account made for it, with its own ``home``.

    Its files are in a directory of their own, not pytest's (which only root may enter), so the
    account can read its authorized keys and write its home. Account and directory are removed afterwards.
    """
    d = Path(tempfile.mkdtemp(prefix="dflow-like-sshd-user-"))
    d.chmod(0o755)
    user = f"dflowlike-u{os.getpid()}"
    try:
        _keys(d, "useradd", "userdel")
        subprocess.run(["userdel", "-f", user], capture_output=True, check=False)  # a crashed run's
        home = d / "home"
        # -p '*': no password, yet not locked (sshd refuses a locked account even its key)
        argv = ["useradd", "-U", "-M", "-d", str(home), "-s", "/bin/sh", "-p", "*", user]
        made = subprocess.run(argv, capture_output=True, text=True, check=False)
        if made.returncode != 0:
            _unavailable(f"cannot add the test account {user}: {made.stderr.strip()}")
        home.mkdir()
        shutil.chown(home, user, user)
        for served in _serve(d, "PermitRootLogin no\nPasswordAuthentication no\n"):
            yield {**served, "user": user, "home": home}
    finally:
        subprocess.run(["userdel", "-f", user], capture_output=True, check=False)
        shutil.rmtree(d, ignore_errors=True)
