"""``upload_artifact`` trees reach Argo pods with the names the local engine gives them."""

from __future__ import annotations

from pathlib import Path

import cloudpickle
import pytest

from dflow_like import Step, Workflow, upload_artifact
from dflow_like.python import PythonOPTemplate

from . import uploads_ops
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
