"""Cache entries in the S3 artifact store: another machine (another home) reuses them."""

from __future__ import annotations

from pathlib import Path

import pytest

from dflow_like import Step, Workflow, config
from dflow_like.cache import clear, open_index
from dflow_like.python import PythonOPTemplate
from dflow_like.storage.seaweed import SeaweedFS
from tests.storage.s3_ops import Concat, Write

pytestmark = pytest.mark.s3


def pipeline() -> Workflow:
    wf = Workflow("s3cache", cache=True)
    write = Step("write", PythonOPTemplate(Write), parameters={"n": 2})
    wf.add(write)
    wf.add(Step("concat", PythonOPTemplate(Concat), artifacts={"files": write.outputs.artifacts["files"]}))
    return wf


def _messages(wf: Workflow) -> dict[str, str]:
    assert wf.wait(timeout=120) == "Succeeded", wf.query_message()
    return {r.name: r.message for r in wf.query_step(type="Pod")}


def test_a_second_machine_reuses_the_entries_in_the_store(
    s3_settings: SeaweedFS, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config["debug_s3"] = True
    clear(open_index("s3"))  # the server lives for the whole session
    first = pipeline()
    first.submit()
    assert _messages(first) == {"write": "", "concat": ""}
    monkeypatch.setenv("DFLOW_LIKE_HOME", str(tmp_path / "other-machine"))  # no local trace of the first run
    second = pipeline()
    second.submit()
    assert _messages(second) == {"write": f"cached from {first.id}/write", "concat": f"cached from {first.id}/concat"}
    assert second.query_step(name="concat")[0].outputs.parameters["text"].value == "item 0 | item 1"
    index = open_index("s3")
    assert index.where.startswith(f"s3://{s3_settings.bucket}/") and len(index.entries()) == 2
    assert not (tmp_path / "other-machine" / "cache").exists()
    assert clear(index) == 2 and index.entries() == []
