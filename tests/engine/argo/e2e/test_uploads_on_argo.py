"""``upload_artifact`` trees reach Argo pods with the names the local engine gives them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cloudpickle
import pytest
from minio import Minio

from dflow_like import Step, Workflow, s3_config, upload_artifact
from dflow_like.graph.errors import DefinitionError
from dflow_like.python import PythonOPTemplate
from dflow_like.storage.seaweed import SeaweedFS

from . import uploads_ops
from .conftest import S3_SECRET
from .controller import EmulatedArgo
from .harness import on_argo, on_local

pytestmark = pytest.mark.s3


def _workflow(uploaded: object) -> Workflow:
    wf = Workflow(name="uploads")
    wf.add(Step("ls", PythonOPTemplate(uploads_ops.list_files, image="python:3.11"), artifacts={"tree": uploaded}))
    return wf


def test_a_single_uploaded_directory_keeps_its_name(argo: EmulatedArgo, tmp_path: Path) -> None:
    tidir = tmp_path / "tidir"
    (tidir / "sub").mkdir(parents=True)
    (tidir / "f1").write_text("1")
    (tidir / "sub" / "f2").write_text("2")
    uploaded = upload_artifact(tidir)

    remote = _workflow(uploaded)
    assert on_argo(argo, remote) == "Succeeded", argo.logs(str(remote.id))
    cloudpickle.register_pickle_by_value(uploads_ops)
    local = _workflow(uploaded)
    assert on_local(local) == "Succeeded"
    expected = ["tidir/f1", "tidir/sub/f2"]
    assert local.query_step(name="ls")[0].outputs.parameters["files"].value == expected
    assert remote.query_step(name="ls")[0].outputs.parameters["files"].value == expected


def _in_other_bucket(tmp_path: Path, server: SeaweedFS) -> Any:
    """Files uploaded by hand to a second bucket of the same server."""
    client = Minio(server.endpoint, server.access_key, server.secret_key, secure=False)
    if not client.bucket_exists("other-bucket"):
        client.make_bucket("other-bucket")
    tidir = tmp_path / "elsewhere"
    tidir.mkdir()
    (tidir / "f1").write_text("from the other bucket")
    s3_config["bucket_name"] = "other-bucket"
    try:
        uploaded = upload_artifact(tidir)
    finally:
        s3_config["bucket_name"] = server.bucket
    assert uploaded.parts[0].tree.bucket == "other-bucket"
    return uploaded


def test_an_artifact_in_another_bucket_is_refused_without_full_locations(
    argo: EmulatedArgo, s3_settings: SeaweedFS, tmp_path: Path
) -> None:
    uploaded = _in_other_bucket(tmp_path, s3_settings)
    with pytest.raises(DefinitionError, match=r"'tree' is in bucket 'other-bucket'.*secret_name"):
        _workflow(uploaded).to_dict()


def test_an_artifact_in_another_bucket_is_read_from_it_with_full_locations(
    argo: EmulatedArgo, s3_settings: SeaweedFS, tmp_path: Path
) -> None:
    uploaded = _in_other_bucket(tmp_path, s3_settings)
    s3_config["secret_name"] = S3_SECRET
    remote = _workflow(uploaded)
    assert on_argo(argo, remote) == "Succeeded", argo.logs(str(remote.id))
    assert remote.query_step(name="ls")[0].outputs.parameters["files"].value == ["elsewhere/f1"]
