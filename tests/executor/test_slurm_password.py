"""Password logins over SSH, as dflow's examples do: a real sshd accepting a password, real Slurm.

dflow ``examples/test_dispatcher.py`` gives ``DispatcherExecutor(..., password="password")`` and
``examples/test_slurm.py`` ``SlurmRemoteExecutor(..., password="password")``; dflow hands the
first to dpdispatcher's ``SSHContext`` (paramiko; ``src/dflow/plugins/dispatcher.py``) and types
the second with ``sshpass -p`` (``RemoteExecutor.get_script`` in ``src/dflow/executor.py``).
Here both go through ``sshpass -e``: the tests watch every process's command line (what ``ps``
shows) and the environment of ``ssh``/``rsync`` while a step runs, and grep the run's files
(the home, the cluster-side copies, Slurm's own state) for the password.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from dflow_like import DispatcherExecutor, SlurmRemoteExecutor, Step, Workflow, config
from dflow_like._credentials import CredentialError, drop_credentials
from dflow_like.executor.slurm.executor import transport_for
from dflow_like.executor.slurm.local_cluster import LocalSlurmCluster
from dflow_like.python import PythonOPTemplate
from tests.polling import poll
from tests.requires import unavailable

from .password_ops import Environ

pytestmark = [pytest.mark.slurm, pytest.mark.e2e]


class ProcessWatch:
    """Reads every process's command line, and the environment of ``ssh``/``rsync``, until stopped."""

    def __init__(self, secret: str, port: int) -> None:
        self.secret = secret.encode()
        self.port = str(port).encode()
        self.leaks: list[str] = []
        self.seen: dict[str, int] = {}  # ssh / rsync / sshpass processes of this test's transport, by name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> ProcessWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        known: set[bytes] = set()
        while not self._stop.is_set():
            for pid in (p for p in os.listdir("/proc") if p.isdigit()):
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if self.secret in cmdline:
                    self.leaks.append(f"command line of {pid}: {cmdline[:80]!r}")
                name = os.path.basename(cmdline.split(b"\0", 1)[0]).decode(errors="replace")
                mux = cmdline.startswith(b"ssh: ") and b"[mux]" in cmdline  # the shared connection
                if not (mux or (name in ("ssh", "rsync", "sshpass") and self.port in cmdline)):
                    continue
                if pid.encode() + cmdline not in known:
                    known.add(pid.encode() + cmdline)
                    self.seen[name if not mux else "ssh"] = self.seen.get(name if not mux else "ssh", 0) + 1
                if name == "sshpass":
                    continue  # it holds the password (its own environment), then overwrites it there
                try:
                    if self.secret in Path(f"/proc/{pid}/environ").read_bytes():
                        self.leaks.append(f"environment of {name} {pid}")
                except OSError:
                    continue
            self._stop.wait(0.005)


def _grep(roots: list[Path], secret: str) -> list[str]:
    """Files under ``roots`` holding ``secret``."""
    hits = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink() and secret.encode() in path.read_bytes():
                hits.append(str(path))
    return hits


def _log_after(log: Path, start: int) -> str:
    return log.read_bytes()[start:].decode(errors="replace")


def _dispatcher(
    cluster: LocalSlurmCluster, sshd: dict[str, object], remote_root: Path, **kw: object
) -> DispatcherExecutor:
    return DispatcherExecutor(  # type: ignore[misc]
        host="127.0.0.1",
        port=int(str(sshd["port"])),
        username=str(sshd["user"]),
        remote_root=str(remote_root),
        remote_command=sys.executable,  # the cluster's Python with dflow_like: here, this one
        slurm_conf=cluster.slurm_conf,
        ssh_options=list(sshd["options"]),  # type: ignore[call-overload]
        **kw,
    )


def test_dispatcher_executor_logs_in_with_a_password_alone_and_shows_it_nowhere(
    slurm_cluster: LocalSlurmCluster, sshd_password: dict[str, object], tmp_path: Path
) -> None:
    """dflow ``examples/test_dispatcher.py``'s executor: ``password=`` and no key, through real Slurm."""
    secret, log = str(sshd_password["password"]), Path(str(sshd_password["log"]))
    start = log.stat().st_size
    executor = _dispatcher(slurm_cluster, sshd_password, tmp_path / "cluster", password=secret)
    gate = tmp_path / "gate"
    wf = Workflow("ssh-password")
    wf.add(Step("env", PythonOPTemplate(Environ), parameters={"gate": str(gate)}, executor=executor))
    with ProcessWatch(secret, int(str(sshd_password["port"]))) as watch:
        wf.submit()
        poll(lambda: [r for r in wf.query_step(name="env") if r.job_id], "the step's Slurm job", timeout=120)
        before = watch.seen.get("ssh", 0)
        poll(lambda: watch.seen.get("ssh", 0) > before, "an ssh (squeue) of the transport while the job runs")
        gate.touch()
        assert wf.wait(timeout=120) == "Succeeded", wf.query_message()
    assert watch.leaks == []
    assert watch.seen.get("sshpass", 0) > 0 and watch.seen.get("ssh", 0) > 1, watch.seen
    assert f"Accepted password for {sshd_password['user']}" in _log_after(log, start)
    assert "Accepted publickey" not in _log_after(log, start)
    step = wf.query_step(name="env")[0]
    environ = step.outputs.parameters["environ"].value
    assert f"SLURM_JOB_ID={step.job_id}" in environ and secret not in environ  # the job's environment
    assert (tmp_path / "cluster").is_dir()  # the step's copy went through rsync (removed again: clean=True)
    assert _grep([tmp_path, Path(slurm_cluster.base)], secret) == []  # home, copies, Slurm's state


def test_slurm_remote_executor_logs_in_with_a_password_alone_from_a_spawned_engine(
    slurm_cluster: LocalSlurmCluster, sshd_password: dict[str, object], tmp_path: Path, isolated_home: Path
) -> None:
    """dflow ``examples/test_slurm.py``'s executor; the engine, a new interpreter, gets the password by pipe."""
    config["engine_start"] = "spawn"  # not a fork of this process: what it knows came through its stdin
    secret, log = str(sshd_password["password"]), Path(str(sshd_password["log"]))
    start = log.stat().st_size
    executor = SlurmRemoteExecutor(
        host="127.0.0.1",
        port=int(str(sshd_password["port"])),
        username=str(sshd_password["user"]),
        password=secret,
        header="#!/bin/bash\n#SBATCH -N 1\n#SBATCH -n 1\n",
        workdir=f"{tmp_path}/cluster/{{{{workflow.name}}}}/{{{{pod.name}}}}",
        remote_command=sys.executable,
        interval=1,
        slurm_conf=slurm_cluster.slurm_conf,
        ssh_options=list(sshd_password["options"]),  # type: ignore[call-overload]
    )
    (tmp_path / "gate").touch()
    wf = Workflow("slurm-password")
    wf.add(Step("env", PythonOPTemplate(Environ), parameters={"gate": str(tmp_path / "gate")}, executor=executor))
    wf.submit()
    assert wf.wait(timeout=180) == "Succeeded", wf.query_message()
    step = wf.query_step(name="env")[0]
    assert step.job_id and step.job_id.isdigit()
    assert f"SLURM_JOB_ID={step.job_id}" in step.outputs.parameters["environ"].value
    assert "a new interpreter" in (isolated_home / "workflows" / str(wf.id) / "engine.log").read_text()
    assert f"Accepted password for {sshd_password['user']}" in _log_after(log, start)
    assert list((tmp_path / "cluster" / str(wf.id)).iterdir())  # dflow leaves workdir on the cluster
    assert _grep([tmp_path, Path(slurm_cluster.base)], secret) == []


def test_a_key_goes_first_when_both_are_given(sshd_password: dict[str, object], tmp_path: Path) -> None:
    """As dpdispatcher (``SSHSession._setup_ssh``: the password only after the key failed) and dflow's
    ``sshpass -p ... ssh -i key``: with a key the host accepts, a wrong password is never typed."""
    log = Path(str(sshd_password["log"]))
    start = log.stat().st_size
    spec = DispatcherExecutor(
        host="127.0.0.1",
        port=int(str(sshd_password["port"])),
        username=str(sshd_password["user"]),
        password="not-the-password",
        private_key_file=str(sshd_password["key"]),
        remote_root=str(tmp_path),
        ssh_options=list(sshd_password["options"]),  # type: ignore[call-overload]
    )
    transport = transport_for(spec)
    try:
        done = transport.run(["echo", "in"])
    finally:
        transport.close()
    assert (done.returncode, done.stdout) == (0, "in\n"), done.stderr
    assert "Accepted publickey" in _log_after(log, start) and "password" not in _log_after(log, start)


def test_a_wrong_password_says_so(sshd_password: dict[str, object], tmp_path: Path) -> None:
    spec = DispatcherExecutor(
        host="127.0.0.1",
        port=int(str(sshd_password["port"])),
        username=str(sshd_password["user"]),
        password="not-the-password",
        remote_root=str(tmp_path),
        ssh_options=list(sshd_password["options"]),  # type: ignore[call-overload]
    )
    transport = transport_for(spec)
    try:
        done = transport.run(["true"])
        with pytest.raises(OSError, match="Permission denied"):
            transport.put(str(tmp_path))
    finally:
        transport.close()
    assert done.returncode == 255 and "Permission denied" in done.stderr


def test_an_unknown_host_key_says_how_to_trust_it(sshd_password: dict[str, object], tmp_path: Path) -> None:
    """ssh asks yes/no, sshpass gives up silently (its exit code 6): the message says what happened."""
    spec = DispatcherExecutor(
        host="127.0.0.1",
        port=int(str(sshd_password["port"])),
        username=str(sshd_password["user"]),
        password=str(sshd_password["password"]),
        remote_root=str(tmp_path),
        ssh_options=["-o", f"UserKnownHostsFile={tmp_path}/known_hosts", "-o", "StrictHostKeyChecking=ask"],
    )
    transport = transport_for(spec)
    try:
        done = transport.run(["true"])
    finally:
        transport.close()
    assert done.returncode == 6 and "host's key is not known" in done.stderr and "accept-new" in done.stderr


@pytest.fixture
def no_sshpass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A ``PATH`` with ssh and rsync but no sshpass, as on a machine without the package."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("ssh", "rsync"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    monkeypatch.setenv("PATH", str(bin_dir))
    yield


@pytest.mark.parametrize("cls", [DispatcherExecutor, SlurmRemoteExecutor])
@pytest.mark.usefixtures("no_sshpass")
def test_a_password_alone_without_sshpass_is_refused_before_anything_runs(cls: type[DispatcherExecutor]) -> None:
    with pytest.raises(ValueError) as caught:
        cls(host="login1", password="password")
    message = str(caught.value)
    assert message.startswith(f"{cls.__name__}(password=...)")
    assert "sshpass" in message and "private_key_file" in message and "'password'" not in message


@pytest.mark.usefixtures("no_sshpass")
def test_without_sshpass_a_key_given_too_is_used(sshd_password: dict[str, object], tmp_path: Path) -> None:
    spec = SlurmRemoteExecutor(
        host="127.0.0.1",
        port=int(str(sshd_password["port"])),
        username=str(sshd_password["user"]),
        password="not-the-password",
        private_key_file=str(sshd_password["key"]),
        ssh_options=list(sshd_password["options"]),  # type: ignore[call-overload]
    )
    transport = transport_for(spec, str(tmp_path), "run-1")
    try:
        done = transport.run(["echo", "in"])
    finally:
        transport.close()
    assert (done.returncode, done.stdout) == (0, "in\n"), done.stderr


@pytest.fixture
def sshpass() -> None:
    """Tests constructing an executor with a password alone need sshpass (``.ci/run`` installs it)."""
    if shutil.which("sshpass") is None:
        unavailable("sshpass is not installed (apt-get install sshpass)")


@pytest.mark.usefixtures("sshpass")
def test_sshpass_gone_when_the_engine_starts_is_refused_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = DispatcherExecutor(host="login1", password="password")  # sshpass here; not where the transport starts
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ValueError, match=r"^DispatcherExecutor\(password=\.\.\.\): .*install it"):
        transport_for(spec)


@pytest.mark.usefixtures("sshpass")
def test_the_password_is_in_no_pickle_or_repr_and_a_process_never_given_it_says_so() -> None:
    secret = "a-long-enough-password-7c1e"
    spec = DispatcherExecutor(
        host="h", username="alice", port=2222, machine_dict={"remote_profile": {"password": secret}}
    )
    data = pickle.dumps(spec)
    assert secret.encode() not in data and secret not in repr(spec)
    copy = pickle.loads(data)
    assert copy.password is None and copy.login_password() == secret  # held in this process's memory
    drop_credentials(keep_s3=False)  # as a step does; as a process that never constructed it
    with pytest.raises(CredentialError, match=r"password=\.\.\.\) for alice@h:2222: .* resume"):
        copy.login_password()
