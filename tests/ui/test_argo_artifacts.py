"""An Argo step's output artifacts download from the dashboard, as a local step's do.

The run is real: the emulated Argo controller (tests/engine/argo/e2e) runs the compiled
manifest's pods, which store their outputs in SeaweedFS as Argo's executor does (``.tgz``
named under the output path's base name); the Argo Server's REST API is the protocol
double, reporting that run's nodes. The dashboard reads the files from storage with the
configured credentials (``s3_config``), or, without credentials, through the Argo
Server's own artifact route (``GetOutputArtifact``, server/artifacts/artifact_server.go),
which the double serves from the same store. Bytes are compared with what the OP wrote.
"""

from __future__ import annotations

import io
import secrets
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudpickle
import pytest

from dflow_like import Step, Workflow, s3_config
from dflow_like.engine.argo.client import ArgoClient, ArgoError
from dflow_like.python import PythonOPTemplate, Slices
from dflow_like.storage.seaweed import SeaweedFS
from dflow_like.ui.argo import ArgoRuns
from tests.engine.argo.argo_double import ArgoDouble, running_double
from tests.engine.argo.e2e.conftest import argo, images  # noqa: F401 - the emulated Argo's fixtures
from tests.engine.argo.e2e.controller import EmulatedArgo
from tests.engine.argo.e2e.harness import on_argo, on_local

from . import argo_artifact_ops as ops
from .serving import serve_app

pytest.importorskip("uvicorn")
pytestmark = pytest.mark.s3
IMAGE = "python:3.11"


def _workflow() -> Workflow:
    wf = Workflow(name="arts")
    wf.add(Step("make", PythonOPTemplate(ops.make, image=IMAGE)))
    loop = Slices("{{item}}", input_parameter=["n"], output_artifact=["note"])
    fan = PythonOPTemplate(ops.note, image=IMAGE, slices=loop)
    wf.add(Step("fan", fan, parameters={"n": [3, 5]}))
    return wf


def _download(base: str, path: str, token: str | None) -> tuple[int, bytes, str]:
    query = f"?token={token}" if token is not None else ""
    try:
        with urllib.request.urlopen(f"{base}{path}{query}", timeout=60) as response:
            return response.status, response.read(), response.headers.get("Content-Disposition") or ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), ""


def _unzipped(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.fixture
def argo_run(argo: EmulatedArgo, s3_settings: SeaweedFS) -> Iterator[tuple[ArgoDouble, str]]:  # noqa: F811
    """The workflow run on the emulated Argo; the double reports its nodes over HTTP."""
    wf = _workflow()
    assert on_argo(argo, wf) == "Succeeded", argo.logs(str(wf.id))
    with running_double() as double:
        reported = argo.get(str(wf.id))
        reported["metadata"].update(namespace="argo", creationTimestamp="2024-05-01T12:00:00Z", resourceVersion="1")
        double.workflows[("argo", str(wf.id))] = reported
        yield double, str(wf.id)


def _node_id(double: ArgoDouble, wf_id: str, display: str) -> str:
    nodes: dict[str, Any] = double.workflows[("argo", wf_id)]["status"]["nodes"]
    return next(k for k, n in nodes.items() if n.get("displayName") == display)


def _fan_path(double: ArgoDouble, wf_id: str) -> str:
    """The drawn fan-out's path: ``<its stage's node id>:fan``."""
    nodes: dict[str, Any] = double.workflows[("argo", wf_id)]["status"]["nodes"]
    item = _node_id(double, wf_id, "fan(0:0)")
    stage = next(k for k, n in nodes.items() if n.get("type") == "StepGroup" and item in (n.get("children") or []))
    return f"{stage}:fan"


def _serve(double: ArgoDouble) -> Iterator[tuple[str, str]]:
    from dflow_like.ui.app import create_app

    token = secrets.token_urlsafe(16)
    for base in serve_app(create_app(token, argo=ArgoRuns(ArgoClient(double.url, double.token)))):
        yield base, token


def _server_reads_the_store(double: ArgoDouble, server: SeaweedFS) -> None:
    """The Argo Server holds the artifact repository's keys (its configmap and secret)."""
    double.artifact_repository = {
        "endpoint": server.endpoint, "bucket": server.bucket, "accessKey": server.access_key,
        "secretKey": server.secret_key, "insecure": True,
    }  # fmt: skip


def test_argo_artifacts_download_from_storage_as_written(argo_run: tuple[ArgoDouble, str]) -> None:
    double, wf_id = argo_run
    make, fan = _node_id(double, wf_id, "make"), _fan_path(double, wf_id)
    for base, token in _serve(double):
        status, page, _ = _download(base, f"/argo/runs/{wf_id}/steps/{make}", token)
        assert status == 200
        link = f"/argo/runs/{wf_id}/steps/{make}/artifacts/single"
        assert f"href='{link}'" in page.decode()
        status, data, disposition = _download(base, link, token)
        assert status == 200 and data == ops.SINGLE and "result.bin" in disposition  # one file, as itself
        status, data, disposition = _download(base, f"/argo/runs/{wf_id}/steps/{make}/artifacts/tree", token)
        assert status == 200 and "tree.zip" in disposition
        assert _unzipped(data) == {f"tree/{rel}": content for rel, content in ops.TREE.items()}
        # the fan-out's artifact, gathered from its items (one directory, as dflow merges them)
        fan_link = f"/argo/runs/{wf_id}/steps/{urllib.parse.quote(fan)}/artifacts/note"
        status, page, _ = _download(base, f"/argo/runs/{wf_id}/steps/{urllib.parse.quote(fan)}", token)
        assert status == 200 and "note" in page.decode(), page
        status, data, _ = _download(base, fan_link, token)
        assert status == 200 and _unzipped(data) == {"note3.txt": b"item 3", "note5.txt": b"item 5"}
        for query_token in (None, "wrong"):  # nothing without the dashboard's token
            status, data, _ = _download(base, link, query_token)
            assert status == 403 and ops.SINGLE not in data
        status, data, _ = _download(base, f"/argo/runs/{wf_id}/steps/{make}/artifacts/nope", token)
        assert status == 404 and b"single" in data and b"tree" in data  # names what there is
    assert not any(p.startswith("/artifacts/") for _, p in double.requests)  # storage, not the server


def test_without_storage_credentials_the_argo_servers_artifact_route_serves_them(
    argo_run: tuple[ArgoDouble, str], s3_settings: SeaweedFS
) -> None:
    double, wf_id = argo_run
    server = s3_settings
    _server_reads_the_store(double, server)
    s3_config.update(access_key="", secret_key="")  # the dashboard's user has no storage keys
    make = _node_id(double, wf_id, "make")
    for base, token in _serve(double):
        status, data, disposition = _download(base, f"/argo/runs/{wf_id}/steps/{make}/artifacts/single", token)
        assert status == 200 and data == ops.SINGLE and "result.bin" in disposition
        status, data, _ = _download(base, f"/argo/runs/{wf_id}/steps/{make}/artifacts/tree", token)
        assert status == 200 and _unzipped(data) == {f"tree/{rel}": content for rel, content in ops.TREE.items()}
        # a loop's items store unarchived directories, which the server serves file by file
        fan = urllib.parse.quote(_fan_path(double, wf_id))
        status, data, _ = _download(base, f"/argo/runs/{wf_id}/steps/{fan}/artifacts/note", token)
        assert status == 200 and _unzipped(data) == {"note3.txt": b"item 3", "note5.txt": b"item 5"}
    asked = [p for m, p in double.requests if p.startswith(("/artifacts/", "/artifact-files/"))]
    assert f"/artifacts/argo/{wf_id}/{make}/single" in asked and f"/artifacts/argo/{wf_id}/{make}/tree" in asked
    item = _node_id(double, wf_id, "fan(0:0)")
    assert f"/artifact-files/argo/workflows/{wf_id}/{item}/outputs/note/note3.txt" in asked


def test_an_archived_runs_artifacts_come_through_the_servers_routes_by_uid(
    argo_run: tuple[ArgoDouble, str], s3_settings: SeaweedFS
) -> None:
    """Once the run is archived and deleted from the cluster, the server reads it from its archive
    by uid (``GetOutputArtifactByUID`` and ``GetArtifactFile``'s ``archived-workflows``,
    artifact_server.go); its name route no longer knows it. The same files come back."""
    double, wf_id = argo_run
    server = s3_settings
    _server_reads_the_store(double, server)
    s3_config.update(access_key="", secret_key="")
    make, fan, item = _node_id(double, wf_id, "make"), _fan_path(double, wf_id), _node_id(double, wf_id, "fan(0:0)")
    double.workflows[("argo", wf_id)]["metadata"].setdefault("uid", "6f1c2a9e-0b7d-4c1e-9a51-3d2f8e7b6a10")
    uid = double.archive(wf_id)
    for base, token in _serve(double):
        status, data, disposition = _download(base, f"/argo/runs/{wf_id}/steps/{make}/artifacts/single", token)
        assert status == 200 and data == ops.SINGLE and "result.bin" in disposition
        status, data, _ = _download(base, f"/argo/runs/{wf_id}/steps/{make}/artifacts/tree", token)
        assert status == 200 and _unzipped(data) == {f"tree/{rel}": content for rel, content in ops.TREE.items()}
        status, data, _ = _download(base, f"/argo/runs/{wf_id}/steps/{urllib.parse.quote(fan)}/artifacts/note", token)
        assert status == 200 and _unzipped(data) == {"note3.txt": b"item 3", "note5.txt": b"item 5"}
    asked = [p for m, p in double.requests if p.startswith(("/artifacts", "/artifact-files/"))]
    assert f"/artifacts-by-uid/{uid}/{make}/single" in asked
    assert f"/artifact-files/argo/archived-workflows/{uid}/{item}/outputs/note/note3.txt" in asked
    assert not any(p.startswith(("/artifacts/", "/artifact-files/argo/workflows/")) for p in asked)


def test_with_storage_refusing_the_dashboard_falls_back_to_the_argo_server(
    argo_run: tuple[ArgoDouble, str], s3_settings: SeaweedFS
) -> None:
    double, wf_id = argo_run
    server = s3_settings
    _server_reads_the_store(double, server)
    s3_config.update(secret_key="not-the-key")  # keys set, but the store refuses them
    make = _node_id(double, wf_id, "make")
    for base, token in _serve(double):
        status, data, _ = _download(base, f"/argo/runs/{wf_id}/steps/{make}/artifacts/single", token)
        assert status == 200 and data == ops.SINGLE
        double.artifact_repository = None  # now the server cannot read it either: both reasons are told
        status, data, _ = _download(base, f"/argo/runs/{wf_id}/steps/{make}/artifacts/single", token)
        assert status == 502 and b"storage refused it" in data and b"the Argo Server" in data
        assert b"not-the-key" not in data and server.secret_key.encode() not in data


def test_the_doubles_artifact_route_needs_the_argo_token(
    argo_run: tuple[ArgoDouble, str], s3_settings: SeaweedFS, tmp_path: Path
) -> None:
    """As ``gateKeeping`` in artifact_server.go: the bearer token, in the header or the cookie."""
    double, wf_id = argo_run
    server = s3_settings
    _server_reads_the_store(double, server)
    make = _node_id(double, wf_id, "make")
    url = f"{double.url}/artifacts/argo/{wf_id}/{make}/single"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=30)
    assert refused.value.code == 401
    request = urllib.request.Request(url, headers={"Cookie": f"authorization=Bearer {double.token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Disposition"] == 'filename="single.tgz"'  # stored as Argo's tarball
    client = ArgoClient(double.url, double.token)
    client.output_artifact(wf_id, make, "single", str(tmp_path / "single.tgz"))
    with pytest.raises(ArgoError, match="HTTP 500"):
        client.output_artifact(wf_id, make, "nope", str(tmp_path / "x"))
    # an unarchived directory: listed (directories end in /), then read file by file
    item = _node_id(double, wf_id, "fan(1:1)")
    assert sorted(client.output_artifact_listing(wf_id, item, "note")) == [".dflow_like.json", "note5.txt"]
    client.output_artifact_file(wf_id, item, "note", "note5.txt", str(tmp_path / "note5.txt"))
    assert (tmp_path / "note5.txt").read_bytes() == b"item 5"
    with pytest.raises(ArgoError, match="HTTP 404"):  # GetOutputArtifact opens the key itself: not a prefix
        client.output_artifact(wf_id, item, "note", str(tmp_path / "d"))
    listing = urllib.request.Request(  # GetArtifactFile redirects a directory to its listing
        f"{double.url}/artifact-files/argo/workflows/{wf_id}/{item}/outputs/note",
        headers={"Authorization": f"Bearer {double.token}"},
    )
    with urllib.request.urlopen(listing, timeout=30) as response:
        assert response.geturl().endswith("/outputs/note/") and b'href="./note5.txt"' in response.read()


def test_an_argo_steps_download_is_the_local_steps_download(
    argo_run: tuple[ArgoDouble, str], s3_settings: SeaweedFS
) -> None:
    """The same workflow on the local engine (artifacts in the same store): the same files."""
    from dflow_like.ui.app import create_app

    double, wf_id = argo_run
    make = _node_id(double, wf_id, "make")
    cloudpickle.register_pickle_by_value(ops)
    local = _workflow()
    assert on_local(local) == "Succeeded"
    step = local.query_step(name="make")[0]
    token = secrets.token_urlsafe(16)
    for base in serve_app(create_app(token, argo=ArgoRuns(ArgoClient(double.url, double.token)))):
        for name in ("single", "tree"):
            here = _download(base, f"/runs/{local.id}/steps/{step.id}/artifacts/{name}", token)
            there = _download(base, f"/argo/runs/{wf_id}/steps/{make}/artifacts/{name}", token)
            assert here[0] == there[0] == 200 and here[2] == there[2]  # the same file name
            if name == "single":
                assert here[1] == there[1] == ops.SINGLE
            else:
                assert _unzipped(here[1]) == _unzipped(there[1])


def test_an_argo_artifact_downloads_in_the_browser(
    argo_run: tuple[ArgoDouble, str], s3_settings: SeaweedFS, monkeypatch: pytest.MonkeyPatch, request: Any
) -> None:
    """``dflow-like ui`` configured as a user configures it (Argo Server and storage from the
    environment), in Debian's Chromium: the step's artifact link downloads the file's bytes."""
    from selenium.webdriver.common.by import By

    from tests.polling import poll

    double, wf_id = argo_run
    server = s3_settings
    env = {
        "DFLOW_LIKE_HOST": double.url, "DFLOW_LIKE_TOKEN": str(double.token), "DFLOW_LIKE_S3_ENDPOINT": server.endpoint,
        "DFLOW_LIKE_S3_ACCESS_KEY": server.access_key, "DFLOW_LIKE_S3_SECRET_KEY": server.secret_key,
        "DFLOW_LIKE_S3_BUCKET_NAME": server.bucket, "DFLOW_LIKE_S3_SECURE": "false",
    }  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    dashboard, browser = request.getfixturevalue("dashboard"), request.getfixturevalue("browser")
    make = _node_id(double, wf_id, "make")
    browser.get(dashboard.url(f"/argo/runs/{wf_id}/steps/{make}"))
    next(a for a in browser.find_elements(By.CSS_SELECTOR, "a.artifact") if a.text == "single").click()
    target = browser.downloads / "result.bin"
    poll(lambda: target.exists() and target.stat().st_size == len(ops.SINGLE), "the download")
    assert target.read_bytes() == ops.SINGLE


@pytest.mark.parametrize("through", ["storage", "server"])
def test_a_plain_templates_tarred_outputs_download_as_a_file_and_a_directory(
    s3_settings: SeaweedFS, tmp_path: Path, through: str
) -> None:
    """A template that is not one of ours reports no layouts: Argo's tarball holds the output
    path under its base name (``TarGzToWriter``, util/archive/archive.go), so the file comes
    back as itself and the directory as a zip under its name."""
    from dflow_like.storage import get_storage_client

    from .argo_runs import WF, argo_run

    server, prefix = s3_settings, f"plain-{secrets.token_hex(4)}"
    (tmp_path / "data" / "sub").mkdir(parents=True)
    (tmp_path / "data" / "sub" / "x.bin").write_bytes(ops.SINGLE)
    (tmp_path / "run.log").write_bytes(b"line 1\nline 2\n")
    store = get_storage_client()
    for name in ("data", "run.log"):
        with tarfile.open(tmp_path / f"{name}.tgz", "w:gz") as tar:  # as Argo's executor tars a path
            tar.add(tmp_path / name, arcname=name)
        store.upload(f"{prefix}/{name}.tgz", str(tmp_path / f"{name}.tgz"))
    with running_double() as double:
        argo_run(double)
        node = double.workflows[("argo", WF)]["status"]["nodes"][f"{WF}-2"]
        node["outputs"]["artifacts"] = [
            {"name": "data", "path": "/tmp/data", "s3": {"key": f"{prefix}/data.tgz"}},
            {"name": "log", "path": "/tmp/run.log", "s3": {"key": f"{prefix}/run.log.tgz"}},
        ]
        if through == "server":
            _server_reads_the_store(double, server)
            s3_config.update(access_key="", secret_key="")
        for base, token in _serve(double):
            status, data, disposition = _download(base, f"/argo/runs/{WF}/steps/{WF}-2/artifacts/log", token)
            assert status == 200 and data == b"line 1\nline 2\n" and "run.log" in disposition
            status, data, disposition = _download(base, f"/argo/runs/{WF}/steps/{WF}-2/artifacts/data", token)
            assert status == 200 and "data.zip" in disposition
            assert _unzipped(data) == {"data/sub/x.bin": ops.SINGLE}
        served = any(p.startswith("/artifacts/") for _, p in double.requests)
        assert served == (through == "server")
