"""A real single-node Slurm (munged + slurmctld + slurmd) under one directory, for tests and
benchmarks. Needs root and Debian's ``slurm-wlm`` + ``munge``; every daemon is stopped by the
PID it wrote, so nothing else on the machine is touched.

Its node has a name of its own (``slurmd -N``), never the machine's: Slurm's cgroups live at
``/sys/fs/cgroup/<controller>/slurm_<node>/uid_<uid>/job_<id>`` and every cluster numbers its
jobs from 1, so two clusters on one machine (a test run beside a benchmark or another test
run) whose nodes shared the hostname shared each job's cgroup: when one cluster's job N ended,
its slurmstepd killed every process in that cgroup, the other cluster's job N included, which
Slurm then reported as ``FAILED`` (``JobLaunchFailure``, exit 0:9).

Tuned to keep tests quick: ``batch_sched_delay=0`` (Slurm's default lets batch jobs wait up
to 3 s to be scheduled; slurmctld still schedules on its ~1 s background tick),
``KillWait=1``/``OverTimeLimit=0`` (a timed-out job dies at the
next limit check, which slurmctld runs every ~30 s, so a 1-minute limit ends in 60-90 s),
memory as a consumable resource with cgroup v1 enforcement (so ``--mem`` kills with
``OUT_OF_MEMORY``) when this machine allows it, else process-tree tracking and a note.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["ClusterUnavailable", "LocalSlurmCluster", "missing_slurm"]

_BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel", "sinfo")


class ClusterUnavailable(RuntimeError):
    """This machine cannot run the local cluster; the message says why."""


def missing_slurm() -> str | None:
    """Why a local cluster cannot start here, or None if it can."""
    absent = [b for b in _BINARIES if not shutil.which(b, path=_PATH)]
    if absent:
        return (
            f"Slurm is not installed (missing {', '.join(absent)}); "
            "apt-get install -y --no-install-recommends slurm-wlm munge"
        )
    if os.geteuid() != 0:
        return "starting slurmd/munged needs root"
    try:
        pwd.getpwnam("munge")
    except KeyError:
        return "the 'munge' user does not exist (install the munge package)"
    return None


_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin", "/sbin"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child counts as gone
        waited, _ = os.waitpid(pid, os.WNOHANG)
        return waited == 0
    except ChildProcessError:
        return True


class LocalSlurmCluster:
    """Start with ``start()`` (or ``with``), read ``slurm_conf``/``env``, ``stop()`` at the end."""

    def __init__(
        self,
        base_dir: str | None = None,
        cpus: int = 4,
        memory_mb: int | None = None,
        cgroup: bool = True,
        scheduler_parameters: str = "batch_sched_delay=0",
    ) -> None:
        self._own_dir = base_dir is None
        self.base = Path(base_dir or tempfile.mkdtemp(prefix="dflow-like-slurm-"))
        self.cpus = cpus
        self.memory_mb = memory_mb or _half_memory_mb()
        self.cgroup = cgroup
        self.scheduler_parameters = scheduler_parameters
        self.hostname = socket.gethostname().split(".")[0]
        self.node_name = f"{self.hostname}-dl{secrets.token_hex(4)}"  # this cluster's alone: see the module doc
        self.slurm_conf = str(self.base / "slurm.conf")
        self.note = ""

    @property
    def env(self) -> dict[str, str]:
        """Environment for Slurm's commands (merge into ``os.environ`` for a subprocess)."""
        return {"SLURM_CONF": self.slurm_conf}

    def __enter__(self) -> LocalSlurmCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> LocalSlurmCluster:
        reason = missing_slurm()
        if reason:
            raise ClusterUnavailable(reason)
        self.base.chmod(0o755)  # munged (user munge) must reach its socket directory
        try:
            self._start_munge()
            self._start_slurm_or_fall_back(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_slurm_or_fall_back(self, timeout: float) -> None:
        try:
            self._start_slurm(timeout)
        except ClusterUnavailable as exc:
            if not self.cgroup:
                raise
            self._stop_slurm()
            self.cgroup = False
            self.note = f"cgroup enforcement unavailable ({exc}); memory limits are not enforced"
            self._start_slurm(timeout)

    def _start_munge(self) -> None:
        munge = self.base / "munge"
        munge.mkdir(parents=True, exist_ok=True)
        key = munge / "munge.key"
        key.write_bytes(os.urandom(1024))
        user = pwd.getpwnam("munge")
        for path in (munge, key):
            os.chown(path, user.pw_uid, user.pw_gid)
        munge.chmod(0o755)  # munged insists the socket directory be reachable by all
        key.chmod(0o400)
        munged = shutil.which("munged", path=_PATH) or "munged"
        self._run_daemon(
            [
                *("runuser", "-u", "munge", "--", munged),
                *(f"--socket={munge}/munge.socket.2", f"--pid-file={munge}/munged.pid"),
                *(f"--log-file={munge}/munged.log", f"--seed-file={munge}/munged.seed"),
                f"--key-file={key}",
            ]
        )
        self._wait(lambda: (munge / "munge.socket.2").exists(), 10, "munged did not start")

    def _start_slurm(self, timeout: float) -> None:
        for sub in ("state", "spool", "run", "log"):
            (self.base / sub).mkdir(exist_ok=True)
        Path(self.slurm_conf).write_text(self._slurm_conf())
        (self.base / "cgroup.conf").write_text(
            "CgroupPlugin=cgroup/v1\nConstrainRAMSpace=yes\nConstrainSwapSpace=yes\n"
        )
        self._run_daemon([shutil.which("slurmctld", path=_PATH) or "slurmctld", "-f", self.slurm_conf])
        self._run_daemon([shutil.which("slurmd", path=_PATH) or "slurmd", "-f", self.slurm_conf, "-N", self.node_name])
        self._wait(self._node_idle, timeout, "the node did not become idle")

    def _slurm_conf(self) -> str:
        b, host, node = self.base, self.hostname, self.node_name
        cgroup = self.cgroup
        lines = [
            "ClusterName=dflowlike",
            f"SlurmctldHost={host}(127.0.0.1)",
            f"SlurmctldPort={_free_port()}",
            f"SlurmdPort={_free_port()}",
            "SlurmUser=root",
            "AuthType=auth/munge",
            f"AuthInfo=socket={b}/munge/munge.socket.2",
            f"StateSaveLocation={b}/state",
            f"SlurmdSpoolDir={b}/spool",
            f"SlurmctldPidFile={b}/run/slurmctld.pid",
            f"SlurmdPidFile={b}/run/slurmd.pid",
            f"SlurmctldLogFile={b}/log/slurmctld.log",
            f"SlurmdLogFile={b}/log/slurmd.log",
            f"ProctrackType=proctrack/{'cgroup' if cgroup else 'linuxproc'}",
            f"TaskPlugin=task/{'cgroup' if cgroup else 'none'}",
            "MpiDefault=none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "DefMemPerCPU=512",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/filetxt",
            f"JobCompLoc={b}/log/jobcomp.txt",
            "ReturnToService=2",
            "SlurmdParameters=config_overrides",
            "KillWait=1",
            "OverTimeLimit=0",
            "MinJobAge=300",
            "MaxArraySize=10001",
            *([f"SchedulerParameters={self.scheduler_parameters}"] if self.scheduler_parameters else []),
            f"NodeName={node} NodeHostname={host} NodeAddr=127.0.0.1 CPUs={self.cpus} Sockets=1 "
            f"CoresPerSocket={self.cpus} ThreadsPerCore=1 RealMemory={self.memory_mb} "
            "State=UNKNOWN",
            f"PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP",
        ]
        return "\n".join(lines) + "\n"

    def _node_idle(self) -> bool:
        if not _alive(self._pid("run/slurmd.pid")):
            raise ClusterUnavailable(f"slurmd exited: {self._log_tail('log/slurmd.log')}")
        done = self.run(["sinfo", "-h", "-n", self.node_name, "-o", "%T"])
        return done.returncode == 0 and done.stdout.strip() == "idle"

    def run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        """Run one of Slurm's commands against this cluster."""
        env = {**os.environ, **self.env, "PATH": _PATH}
        return subprocess.run(argv, capture_output=True, text=True, env=env, check=False)

    def _run_daemon(self, argv: list[str]) -> None:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ClusterUnavailable(f"{argv[0]} failed: {(done.stderr or done.stdout).strip()}")

    def _wait(self, ready: object, timeout: float, message: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if callable(ready) and ready():
                return
            time.sleep(0.1)
        raise ClusterUnavailable(f"{message} within {timeout:.0f} s")

    def _pid(self, rel: str) -> int:
        try:
            return int((self.base / rel).read_text().strip())
        except (OSError, ValueError):
            return 0

    def _log_tail(self, rel: str) -> str:
        try:
            return " | ".join((self.base / rel).read_text().splitlines()[-3:])
        except OSError:
            return "(no log)"

    def _cancel_jobs(self) -> None:
        """End running jobs first: their slurmstepd would outlive slurmd."""
        if not _alive(self._pid("run/slurmctld.pid")):
            return
        self.run(["scancel", "--full", "--partition=debug"])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            done = self.run(["squeue", "-h", "-t", "RUNNING,COMPLETING,CONFIGURING", "-o", "%i"])
            if done.returncode != 0 or not done.stdout.strip():
                return
            time.sleep(0.2)

    def _stop_slurm(self) -> None:
        self._cancel_jobs()
        for rel in ("run/slurmd.pid", "run/slurmctld.pid"):
            _terminate(self._pid(rel))

    def stop_controller(self) -> None:
        """Stop slurmctld alone (slurmd and running jobs stay): a controller outage."""
        _terminate(self._pid("run/slurmctld.pid"))

    def start_controller(self, timeout: float = 30.0) -> None:
        """Start slurmctld again (it recovers its saved state) and wait until it answers."""
        self._run_daemon([shutil.which("slurmctld", path=_PATH) or "slurmctld", "-f", self.slurm_conf])
        self._wait(lambda: self.run(["sinfo", "-h"]).returncode == 0, timeout, "slurmctld did not answer")

    def stop(self) -> None:
        """Stop every daemon this cluster started (by PID) and remove its directory and cgroups."""
        self._stop_slurm()
        _terminate(self._pid("munge/munged.pid"))
        _remove_cgroups(f"slurm_{self.node_name}")
        if self._own_dir:
            shutil.rmtree(self.base, ignore_errors=True)


def _terminate(pid: int, timeout: float = 10.0) -> None:
    if pid <= 0 or not _alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def _remove_cgroups(name: str) -> None:
    """Remove this cluster's (empty) cgroup trees, deepest first; one still in use stays."""
    root = Path("/sys/fs/cgroup")
    for top in root.glob(f"*/{name}") if root.is_dir() else ():
        for path, _, _ in os.walk(top, topdown=False):
            try:
                os.rmdir(path)
            except OSError:
                pass


def _half_memory_mb() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            total_kb = int(handle.readline().split()[1])
    except (OSError, ValueError, IndexError):
        return 4096
    return max(1024, total_kb // 2048)
