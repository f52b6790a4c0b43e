"""The local engine keeping every artifact in a real S3 server (``config["debug_s3"]``)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from dflow_like import Step, Workflow, config, download_artifact, s3_config, upload_artifact
from dflow_like.python import PythonOPTemplate, Slices
from dflow_like.storage.seaweed import SeaweedFS
from tests.polling import poll

from .s3_ops import Concat, Note, Write

pytestmark = pytest.mark.s3


def pipeline(extra: object = None, **template: object) -> Workflow:
    wf = Workflow("s3run")
    write = Step("write", PythonOPTemplate(Write, **template), parameters={"n": 3})  # type: ignore[arg-type]
    wf.add(write)
    artifacts = {"files": write.outputs.artifacts["files"]}
    if extra is not None:
        artifacts["extra"] = extra
    wf.add(Step("concat", PythonOPTemplate(Concat), artifacts=artifacts))
    return wf


def test_artifacts_live_in_s3_and_flow_between_steps(s3_settings: SeaweedFS, tmp_path: Path) -> None:
    config["debug_s3"] = True
    Path("extra.txt").write_text("uploaded")
    extra = upload_artifact("extra.txt")
    assert extra.parts[0].tree.storage == "s3"
    wf = pipeline(extra)
    wf.submit()
    assert wf.wait(timeout=120) == "Succeeded"
    concat = wf.query_step(name="concat")[0]
    assert concat.outputs.parameters["text"].value == "item 0 | item 1 | item 2 + uploaded"
    tree = concat.outputs.artifacts["out"].parts[0].tree
    assert tree.storage == "s3" and tree.bucket in ("", s3_settings.bucket)
    (path,) = download_artifact(concat.outputs.artifacts["out"], path=tmp_path / "dl")
    assert Path(path).read_text() == "item 0 | item 1 | item 2 + uploaded"
    files = download_artifact(wf.query_step(name="write")[0].outputs.artifacts["files"], path=tmp_path / "f", slice=1)
    assert [Path(p).read_text() for p in files] == ["item 1"]


def test_server_stopped_mid_run_fails_clearly_and_a_retry_succeeds_after_restart(s3_settings: SeaweedFS) -> None:
    config["debug_s3"] = True
    s3_settings.stop()
    wf = pipeline(retry_on_transient_error=30, retry_backoff=0.5)
    wf.submit()
    poll(lambda: [r for r in wf.query_step(name="write") if "retrying" in r.message], "the step to retry")
    message = wf.query_step(name="write")[0].message
    assert "retrying" in message and s3_settings.endpoint in message
    threading.Thread(target=s3_settings.start).start()
    assert wf.wait(timeout=120) == "Succeeded"
    assert wf.query_step(name="write")[0].attempts >= 2


def test_server_stopped_without_retries_fails_the_step_with_the_endpoint_named(s3_settings: SeaweedFS) -> None:
    config["debug_s3"] = True
    s3_settings.stop()
    try:
        wf = pipeline()
        wf.submit()
        assert wf.wait(timeout=120) == "Failed"
        rec = wf.query_step(name="write")[0]
        assert rec.phase == "Failed" and s3_settings.endpoint in rec.message
    finally:
        s3_settings.start()


def test_wrong_credentials_fail_clearly_and_no_secret_is_written_anywhere(
    s3_settings: SeaweedFS, isolated_home: Path
) -> None:
    config["debug_s3"] = True
    good = pipeline()
    good.submit()
    assert good.wait(timeout=120) == "Succeeded"
    wrong_secret = "WRONG-secret-4b1d"
    s3_config["secret_key"] = wrong_secret
    bad = pipeline()
    bad.submit()
    assert bad.wait(timeout=120) == "Failed"
    message = bad.query_step(name="write")[0].message
    assert s3_settings.endpoint in message and s3_settings.bucket in message
    assert wrong_secret not in message
    s3_config["secret_key"] = s3_settings.secret_key
    manifest = good.to_yaml()
    for secret in (s3_settings.secret_key, wrong_secret):
        assert secret not in manifest
        assert secret not in repr(s3_config)
        leaks = [p for p in isolated_home.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
        assert leaks == [], f"secret found in {leaks}"


def test_sliced_items_with_one_file_name_all_survive_a_download_from_s3(s3_settings: SeaweedFS, tmp_path: Path) -> None:
    config["debug_s3"] = True
    wf = Workflow("s3notes")
    slices = Slices(input_parameter=["x"], output_artifact=["note"])
    wf.add(Step("sq", PythonOPTemplate(Note, slices=slices), parameters={"x": [1, 2, 3]}))
    wf.submit()
    assert wf.wait(timeout=120) == "Succeeded"
    note = wf.query_step(name="sq", type="StepGroup")[0].outputs.artifacts["note"]
    assert {part.tree.storage for part in note.parts} == {"s3"}
    paths = download_artifact(note, path=tmp_path / "dl")
    assert paths == [str(tmp_path / "dl" / str(i) / "note.txt") for i in range(3)]
    assert [Path(p).read_text() for p in paths] == ["1^2", "2^2", "3^2"]
