"""Where Slurm's commands run and how step directories get there.

``LocalTransport``: this machine's ``sbatch`` with a shared filesystem, nothing to copy.
``SshTransport``: the same commands through the system ``ssh`` and step directories through
``rsync`` over that ssh. Chosen over dpdispatcher/paramiko because OpenSSH already honours the
user's keys, agent, ``~/.ssh/config``, jump hosts and known_hosts, adds no Python dependency,
and one multiplexed connection (ControlMaster) makes each call a few milliseconds.

With a password, every ``ssh`` and ``rsync`` runs under ``sshpass -e``, which reads it from
the ``SSHPASS`` variable of its own environment (only that process's: ours never holds it)
and overwrites it there before starting its command, so ``ps``/``/proc`` of ``ssh``/``rsync``
never show it; dflow's ``RemoteExecutor.get_script`` (``src/dflow/executor.py``) passes
``sshpass -p <password>`` on the command line instead. Only the shared connection's first
login types it; the calls riding on that connection need nothing.

A lost connection (a network blip, sshd restarting, the login node briefly away) is not a
failed step: each transfer and each safe command is tried again with a short backoff
(``_retrying``), as dflow retries every ``ssh``/``scp`` of a ``RemoteExecutor`` (the
``execute``/``upload``/``download`` shell functions of ``get_script`` in dflow's
``src/dflow/executor.py``: ``action_retries`` times, -1 for ever, 1 s apart). Unlike dflow,
which retries any non-zero exit (a missing file too), only connection-class failures are
retried, and "for ever" is bounded by ``OUTAGE_SECONDS``: a host gone for good ends the step
naming the host, the action and the last error. ``sbatch`` is not retried here (a dropped
connection leaves unknown whether the job was submitted): when ssh had reached the host,
``SlurmExecutor._submitted_in`` looks for the job by its working directory and adopts it,
and only a connection that never reached the host is tried again (``engine_adapter._sbatch``).
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from ..._credentials import s3_env
from .inputs import STAGED_INPUTS

__all__ = ["OUTAGE_SECONDS", "LocalTransport", "SshTransport", "Transport", "transient"]

OUTAGE_SECONDS = 600.0  # how long a lost connection (or an unreachable controller) is ridden out
MAX_BACKOFF_SECONDS = 30.0
_log = logging.getLogger(__name__)

# Exit codes of a connection, not the work, failing: ssh(1) exits 255 on its own errors, and
# rsync(1) (EXIT VALUES) with 10 (socket I/O), 12 (protocol data stream: the connection
# broke), 30 (timeout in data send/receive), 35 (timeout waiting for a daemon connection)
# or 255 (its ssh's). 23/24 (partial transfer: some file could not be read or vanished) are
# not: they name files whose problem repeats, and a retry would hide it.
_CONNECTION_CODES = frozenset({10, 12, 30, 35, 255})
# ...but ssh also exits 255 for what no retry cures: a refused login, an unknown or changed
# host key, a typo in the host name or options; rsync 12 when the host has no rsync.
_NOT_TRANSIENT = re.compile(
    r"Permission denied|Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED"
    r"|Too many authentication failures|Name or service not known|Bad configuration option"
    r"|command not found",
    re.IGNORECASE,
)


def transient(done: subprocess.CompletedProcess[str]) -> bool:
    """Whether an ``ssh``/``rsync`` failed for its connection (worth another try), not its work."""
    return done.returncode in _CONNECTION_CODES and not _NOT_TRANSIENT.search(done.stderr or "")


class Transport(Protocol):
    def run(
        self, argv: Sequence[str], stdin: str | None = None, retry: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a command where Slurm's commands live; never raises on a non-zero exit.

        ``retry=False``: one try, for commands whose repetition is not safe (``sbatch``) or
        that their caller already repeats (``squeue`` each poll).
        """
        ...

    def remote_path(self, local_path: str) -> str:
        """Where ``local_path`` lives on the Slurm side."""
        ...

    def local_path(self, remote_path: str) -> str | None:
        """The local directory a Slurm-side path stands for (``remote_path``'s inverse), if any."""
        ...

    def put(self, local_dir: str) -> None:
        """Make the Slurm side's copy of ``local_dir`` match it."""
        ...

    def get(self, local_dir: str) -> None:
        """Bring the Slurm side's copy of ``local_dir`` back (outputs, logs)."""
        ...

    def remove(self, local_dir: str) -> None:
        """Delete the Slurm side's copy (no-op when it is the same directory)."""
        ...

    def close(self) -> None: ...


# sshpass's own exit codes, when ssh asked something other than the password once (sshpass(1))
_SSHPASS_ERRORS = {
    5: "the host asked for the password again: wrong password",
    6: "the host's key is not known: add it to known_hosts, or pass ssh_options=['-o', "
    "'StrictHostKeyChecking=accept-new'] to trust it on first contact",
}


def _slurm_env(slurm_conf: str | None) -> dict[str, str]:
    return {"SLURM_CONF": slurm_conf} if slurm_conf else {}


class LocalTransport:
    """Slurm's commands on this machine; the step directory is already where the job runs."""

    def __init__(self, slurm_conf: str | None = None) -> None:
        self._env = {**os.environ, **s3_env(), **_slurm_env(slurm_conf)}  # jobs moving artifacts need S3

    def run(
        self, argv: Sequence[str], stdin: str | None = None, retry: bool = True
    ) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(list(argv), input=stdin, capture_output=True, text=True, env=self._env, check=False)
        except FileNotFoundError as exc:
            return subprocess.CompletedProcess(list(argv), 127, "", f"{argv[0]}: {exc.strerror}")

    def remote_path(self, local_path: str) -> str:
        return local_path

    def local_path(self, remote_path: str) -> str | None:
        return remote_path

    def put(self, local_dir: str) -> None:
        return None

    def get(self, local_dir: str) -> None:
        return None

    def remove(self, local_dir: str) -> None:
        return None

    def close(self) -> None:
        return None


class SshTransport:
    """Slurm's commands on ``host`` via ``ssh``; step directories mirrored under ``remote_root``.

    A local directory ``/a/b`` lives at ``remote_root/a/b`` on the host, so the mapping needs
    no bookkeeping and survives an engine restart.
    """

    def __init__(
        self,
        host: str,
        username: str | None,
        remote_root: str,
        port: int = 22,
        key_file: str | None = None,
        options: Sequence[str] = (),
        slurm_conf: str | None = None,
        password: str | None = None,
        retries: int = -1,
        retry_seconds: float = OUTAGE_SECONDS,
    ) -> None:
        self.host = host
        self.retries = retries  # more tries after a lost connection; -1: as many as retry_seconds allow
        self.retry_seconds = retry_seconds
        # told (local directory or None, note) before each retry, and with note "" once it worked
        self.on_retry: Callable[[str | None, str], None] | None = None
        self.target = f"{username}@{host}" if username else host
        self.remote_root = remote_root.rstrip("/") or "/"
        self.slurm_conf = slurm_conf
        self._password = password  # in memory only: handed to sshpass through its environment
        self._control_dir = tempfile.mkdtemp(prefix="dflow-like-ssh-")
        self._ssh = ["ssh", "-p", str(port)]
        # BatchMode forbids typing a password; one prompt: a wrong one fails with ssh's own message
        self._ssh += ["-o", "BatchMode=yes"] if password is None else ["-o", "NumberOfPasswordPrompts=1"]
        self._ssh += ["-o", "ControlMaster=auto", "-o", f"ControlPath={self._control_dir}/%C"]
        self._ssh += ["-o", "ControlPersist=60"]
        if key_file:
            self._ssh += ["-i", os.path.expanduser(key_file), "-o", "IdentitiesOnly=yes"]
        self._ssh += list(options)

    def _shell(self, argv: Sequence[str]) -> str:
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in _slurm_env(self.slurm_conf).items())
        return f"{'env ' + env + ' ' if env else ''}{shlex.join(argv)}"

    def _call(self, argv: list[str], stdin: str | None = None, login: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` here; under ``sshpass -e`` when it may log in with the password."""
        env = None
        if login and self._password is not None:
            argv = ["sshpass", "-e", *argv]
            env = {**os.environ, "SSHPASS": self._password}
        try:
            done = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env, check=False)
        except FileNotFoundError as exc:
            return subprocess.CompletedProcess(argv, 127, "", f"{argv[0]}: {exc.strerror}")
        if env is not None and done.returncode in _SSHPASS_ERRORS and not done.stderr.strip():
            done.stderr = f"sshpass: {_SSHPASS_ERRORS[done.returncode]} ({self.target})"  # it says nothing itself
        return done

    def _retrying(
        self, action: str, local_dir: str | None, call: Callable[[], subprocess.CompletedProcess[str]]
    ) -> subprocess.CompletedProcess[str]:
        """``call()`` until it works, fails for a reason other than its connection, or the retries run out.

        Backs off 1, 2, 4 ... 30 s; ``retries`` tries more at most, all within ``retry_seconds``.
        Each retry is logged (the engine log) and told to ``on_retry``, so a step shows why it
        waits. When they run out, the result's ``stderr`` says so, naming host and action.
        """
        start = time.monotonic()
        delay, tries = 1.0, 0
        while True:
            done = call()
            if not transient(done):
                if tries and self.on_retry is not None:
                    self.on_retry(local_dir, "")
                return done
            error = " ".join((done.stderr or "").split()) or f"exit code {done.returncode}"
            first = next((line.strip() for line in (done.stderr or "").splitlines() if line.strip()), error)
            left = self.retry_seconds - (time.monotonic() - start)
            if (0 <= self.retries <= tries) or left < delay:
                limit = (
                    f"action_retries={self.retries}" if 0 <= self.retries <= tries else f"{self.retry_seconds:.0f} s"
                )
                done.stderr = (
                    f"{self.host} unreachable: {action} tried {tries + 1} time{'s' if tries else ''} over "
                    f"{time.monotonic() - start:.0f} s, giving up ({limit}); last error: {error}"
                )
                return done
            tries += 1
            note = (
                f"retrying {action} on {self.host} (connection lost: {first}); "
                f"try {tries + 1} in {delay:.0f} s, for {left:.0f} s more"
            )
            _log.warning("%s", note)
            if self.on_retry is not None:
                self.on_retry(local_dir, note)
            time.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)

    def run(
        self, argv: Sequence[str], stdin: str | None = None, retry: bool = True
    ) -> subprocess.CompletedProcess[str]:
        def once() -> subprocess.CompletedProcess[str]:
            return self._call([*self._ssh, self.target, "--", self._shell(argv)], stdin)

        return self._retrying(f"command {shlex.join(argv)[:80]}", None, once) if retry else once()

    def remote_path(self, local_path: str) -> str:
        return self.remote_root + os.path.abspath(local_path)

    def local_path(self, remote_path: str) -> str | None:
        root = self.remote_root
        return remote_path[len(root) :] if remote_path.startswith(root + "/") else None

    def _rsync(self, action: str, local_dir: str, source: str, dest: str, *options: str) -> None:
        rsh = shlex.join(self._ssh)
        argv = ["rsync", "-a", "--mkpath", *options, "-e", rsh, source, dest]
        done = self._retrying(f"{action} of {local_dir}", local_dir, lambda: self._call(argv))
        if done.returncode == 0:
            return
        if transient(done):  # a connection failure comes back only once the retries ran out: stderr says all
            raise OSError(done.stderr)
        why = f"exit {done.returncode}: not a lost connection, so not retried"
        raise OSError(f"{action} {source} → {dest} failed ({why}): {done.stderr.strip()}")

    def put(self, local_dir: str) -> None:
        remote = self.remote_path(local_dir)
        self._rsync("upload", local_dir, local_dir.rstrip("/") + "/", f"{self.target}:{remote}/")

    def get(self, local_dir: str) -> None:
        remote = self.remote_path(local_dir)
        os.makedirs(local_dir, exist_ok=True)
        # the job's copies of its inputs stay there: the engine has the originals
        self._rsync(
            "download",
            local_dir,
            f"{self.target}:{remote}/",
            local_dir.rstrip("/") + "/",
            f"--exclude=/{STAGED_INPUTS}/",
        )

    def remove(self, local_dir: str) -> None:
        self.run(["rm", "-rf", "--", self.remote_path(local_dir)])

    def close(self) -> None:
        """End the shared connection (its master process) and forget the control socket."""
        self._call([*self._ssh, "-O", "exit", self.target], login=False)
        shutil.rmtree(self._control_dir, ignore_errors=True)
