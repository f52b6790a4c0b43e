"""Input artifacts reach a cluster that cannot read this machine's storage: real sshd, real Slurm.

The "cluster" is an unprivileged account on this machine (``sshd_user``) whose jobs run as
itself, and the dflow_like home (local storage: upstream outputs, uploads) is in a directory
only root may enter, so, as on a real remote cluster, a job can only use what was copied to
it. Each test first checks that the account indeed cannot read the stored input.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from dflow_like import (
    DispatcherExecutor,
    SlurmRemoteExecutor,
    Step,
    Workflow,
    config,
    download_artifact,
    upload_artifact,
)
from dflow_like.executor.slurm.local_cluster import LocalSlurmCluster
from dflow_like.executor.slurm.transport import SshTransport
from dflow_like.python import PythonOPTemplate, Slices
from tests.requires import unavailable

from .remote_inputs_ops import Measure, WriteFiles

pytestmark = [pytest.mark.slurm, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]  # the checkout: dflow_like and tests
TEXTS = ["alpha", "beta beta", "gamma gamma gamma"]


@pytest.fixture
def private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory only root may enter, holding the dflow_like home (local storage)."""
    folder = tmp_path / "private"
    folder.mkdir(mode=0o700)
    folder.chmod(0o700)  # whatever the umask
    monkeypatch.setenv("DFLOW_LIKE_HOME", str(folder / "home"))
    config.reset()
    return folder


def _copy_runtime(dest: Path) -> None:
    """dflow_like, its own requirements and these tests' OPs, copied where any account may read them.

    The checkout and its venv may be where only root can go (a clone under ``/root``); the
    cluster's account must still run dflow_like's runner, as on a cluster where it is installed.
    """
    todo, seen = ["dflow-like"], set()
    while todo:
        name = canonicalize_name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        dist = metadata.distribution(name)
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
        for file in dist.files or [] if name != "dflow-like" else []:  # ours is the checkout's (editable)
            source = Path(str(dist.locate_file(file)))
            if not str(file).startswith("..") and source.suffix != ".pyc" and source.is_file():
                (dest / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest / file)
    shutil.copytree(ROOT / "dflow_like", dest / "dflow_like", ignore=shutil.ignore_patterns("__pycache__"))
    for module in ("tests/__init__.py", "tests/executor/__init__.py", "tests/executor/remote_inputs_ops.py"):
        (dest / module).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / module, dest / module)
    for folder in [dest, *dest.rglob("*")]:
        folder.chmod(0o755 if folder.is_dir() else 0o644)


@pytest.fixture(scope="module")
def cluster_python(sshd_user: dict[str, object]) -> list[str]:
    """The cluster's Python with dflow_like, which the account may run: this machine's system
    Python of the same version (ours may be where only root goes, pyenv under ``/root``)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    python = shutil.which(version, path="/usr/local/bin:/usr/bin")
    if python is None:
        unavailable(f"no system {version} for the cluster's account (.ci/run installs Debian's python3)")
    runtime = Path(str(sshd_user["home"])).parent / "runtime"
    _copy_runtime(runtime)
    argv = ["env", f"PYTHONPATH={runtime}", python]
    user = str(sshd_user["user"])
    check = subprocess.run(
        [
            "runuser",
            "-u",
            user,
            "--",
            *argv,
            "-c",
            "import dflow_like.runner.execute, tests.executor.remote_inputs_ops",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, f"{user} cannot run dflow_like's runner: {check.stderr}"
    return argv


def _login(sshd_user: dict[str, object], cluster_python: list[str]) -> dict[str, object]:
    return {
        "host": "127.0.0.1",
        "port": int(str(sshd_user["port"])),
        "username": str(sshd_user["user"]),
        "private_key_file": str(sshd_user["key"]),
        "ssh_options": list(sshd_user["options"]),  # type: ignore[call-overload]
        "remote_command": cluster_python,
    }


def _cannot_read(sshd_user: dict[str, object], path: str) -> str:
    """What the cluster side says when it tries to read ``path`` (it must fail)."""
    transport = SshTransport(
        "127.0.0.1",
        str(sshd_user["user"]),
        str(sshd_user["home"]),
        port=int(str(sshd_user["port"])),
        key_file=str(sshd_user["key"]),
        options=list(sshd_user["options"]),  # type: ignore[call-overload]
    )
    try:
        done = transport.run(["cat", "--", path])
    finally:
        transport.close()
    assert done.returncode != 0, f"the cluster side can read {path}: the test would prove nothing"
    return done.stderr


def _write(texts: list[str]) -> Step:
    return Step("write", PythonOPTemplate(WriteFiles), parameters={"texts": texts})  # here, not on the cluster


def test_upstream_output_reaches_a_cluster_that_cannot_read_local_storage(
    slurm_cluster: LocalSlurmCluster,
    sshd_user: dict[str, object],
    cluster_python: list[str],
    private: Path,
    tmp_path: Path,
) -> None:
    """dflow's SlurmRemoteExecutor (``workdir`` under the login's ``~``) reads step 1's file."""
    executor = SlurmRemoteExecutor(  # type: ignore[misc]
        **_login(sshd_user, cluster_python),
        workdir="~/dflow/workflows/{{workflow.name}}/{{pod.name}}",
        interval=1,
        slurm_conf=slurm_cluster.slurm_conf,
    )
    wf = Workflow("remote-inputs")
    write = _write(TEXTS)
    measure = Step(
        "measure",
        PythonOPTemplate(Measure),
        artifacts={"data": write.outputs.artifacts["first"]},
        executor=executor,
    )
    wf.add(write)
    wf.add(measure)
    wf.submit()
    assert wf.wait(timeout=180) == "Succeeded", wf.query_message()

    stored = wf.query_step(name="write")[0].outputs.artifacts["first"]
    assert "Permission denied" in _cannot_read(sshd_user, f"{stored.local_path}/f0.txt")
    record = wf.query_step(name="measure")[0]
    out = {n: record.outputs.parameters[n].value for n in ("content", "size", "who")}
    assert out == {"content": "alpha", "size": 5, "who": sshd_user["user"]}  # read on the cluster, as its user
    changed = download_artifact(record.outputs.artifacts["changed"], path=tmp_path / "changed")
    assert [Path(p).read_text() for p in changed] == ["alpha!"]  # what the step wrote came back
    assert Path(stored.local_path or "", "f0.txt").read_text() == "alpha"  # while step 1's output is untouched
    attempt = Path(record.log_path or "").parent
    copy = Path(str(sshd_user["home"]), "dflow/workflows", str(wf.id), record.id, attempt.name)
    assert (copy / ".dflow-inputs/data/0/f0.txt").read_text() == "alpha"  # what the job read its input from
    assert not any(attempt.rglob(".dflow-inputs"))  # that copy is neither brought back nor kept here


@pytest.mark.parametrize(
    ("how", "slices_kw", "executor_kw"),
    [
        ("one job per item", {}, {}),
        ("group_size=2", {"group_size": 2, "pool_size": 2}, {}),  # items 1,2 | 3
        ("array", {}, {"array": True}),
    ],
)
def test_sliced_list_artifact_reaches_each_item_on_the_cluster(
    slurm_cluster: LocalSlurmCluster,
    sshd_user: dict[str, object],
    cluster_python: list[str],
    private: Path,
    tmp_path: Path,
    how: str,
    slices_kw: dict[str, int],
    executor_kw: dict[str, bool],
) -> None:
    """A list artifact fanned out with ``Slices``: every item (alone, packed, in an array) reads its own file."""
    executor = DispatcherExecutor(  # type: ignore[misc]
        **_login(sshd_user, cluster_python),
        remote_root=str(Path(str(sshd_user["home"]), "cluster")),
        slurm_conf=slurm_cluster.slurm_conf,
        **executor_kw,
    )
    slices = Slices(
        input_artifact=["data"], output_parameter=["content", "size", "who"], output_artifact=["changed"], **slices_kw
    )
    wf = Workflow("remote-inputs-slices")
    write = _write(TEXTS)
    measure = Step(
        "measure",
        PythonOPTemplate(Measure, slices=slices),
        artifacts={"data": write.outputs.artifacts["files"]},
        executor=executor,
    )
    wf.add(write)
    wf.add(measure)
    wf.submit()
    assert wf.wait(timeout=180) == "Succeeded", (how, wf.query_message())

    stored = wf.query_step(name="write")[0].outputs.artifacts["files"]
    assert "Permission denied" in _cannot_read(sshd_user, f"{stored.local_path}/f1.txt")
    group = wf.query_step(name="measure", type="StepGroup")[0]
    assert group.outputs.parameters["content"].value == TEXTS
    assert group.outputs.parameters["size"].value == [len(t) for t in TEXTS]
    assert group.outputs.parameters["who"].value == [sshd_user["user"]] * len(TEXTS)
    changed = download_artifact(group.outputs.artifacts["changed"], path=tmp_path / "changed")
    assert sorted(Path(p).read_text() for p in changed) == sorted(f"{t}!" for t in TEXTS)
    assert [Path(stored.local_path or "", f"f{i}.txt").read_text() for i in range(3)] == TEXTS  # untouched


def test_uploaded_local_file_reaches_the_cluster(
    slurm_cluster: LocalSlurmCluster,
    sshd_user: dict[str, object],
    cluster_python: list[str],
    private: Path,
    tmp_path: Path,
) -> None:
    """``upload_artifact`` of a local file (no S3: local storage) as a cluster step's input."""
    source = private / "mine.txt"
    source.write_text("uploaded by hand")
    uploaded = upload_artifact(source)
    assert uploaded.local_path is not None and uploaded.local_path.startswith(str(private))
    assert "Permission denied" in _cannot_read(sshd_user, str(source))
    executor = DispatcherExecutor(  # type: ignore[misc]
        **_login(sshd_user, cluster_python),
        remote_root=str(Path(str(sshd_user["home"]), "cluster")),
        slurm_conf=slurm_cluster.slurm_conf,
    )
    wf = Workflow("remote-inputs-upload")
    wf.add(Step("measure", PythonOPTemplate(Measure), artifacts={"data": uploaded}, executor=executor))
    wf.submit()
    assert wf.wait(timeout=180) == "Succeeded", wf.query_message()

    record = wf.query_step(name="measure")[0]
    assert record.outputs.parameters["content"].value == "uploaded by hand"
    assert record.outputs.parameters["who"].value == sshd_user["user"]
    changed = download_artifact(record.outputs.artifacts["changed"], path=tmp_path / "changed")
    assert [Path(p).read_text() for p in changed] == ["uploaded by hand!"]
    assert source.read_text() == "uploaded by hand"
    assert os.listdir(uploaded.local_path) == ["mine.txt"]  # the upload holds what it held
