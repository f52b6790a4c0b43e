"""``ArgoBackend`` end to end against the Argo Server protocol double and a real SeaweedFS.

The double is not a cluster: nothing executes. The test plays Argo's part: it runs
the pod runner on the bundle the backend uploaded, stores the outputs where the
manifest says Argo would, and scripts the status nodes (null timestamps included).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from dflow_like import Workflow, config, download_artifact, s3_config
from dflow_like.artifacts import StoredTree
from dflow_like.engine.argo.backend import ArgoBackend
from dflow_like.graph.errors import DefinitionError
from dflow_like.storage import get_storage_client, get_tree
from tests.engine.argo.argo_double import ArgoDouble

from .ops import features_workflow

pytestmark = pytest.mark.s3


def point_at(double: ArgoDouble) -> None:
    config.update(host=double.url, token=double.token, namespace="argo", verify_ssl=False)


def node(node_id: str, name: str, phase: str, **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "name": name, "displayName": name, "type": "Pod", "phase": phase,
            "startedAt": None, "finishedAt": None, **extra}  # fmt: skip


def test_submit_run_query_download(double: ArgoDouble, s3_settings: Any, tmp_path: Path) -> None:
    point_at(double)
    wf = features_workflow()
    backend = ArgoBackend()
    wf._backend_obj = backend
    run = backend.submit(wf, [])
    wf.id = run
    recorded = double.workflows[("argo", run)]
    assert recorded["metadata"]["name"] == run and recorded["spec"]["entrypoint"] == "features"

    # Argo's part: fetch the bundle, run the "make" pod, store its output artifact
    bundle = tmp_path / "pod" / "tmp" / "dflow_like" / "bundle"
    get_tree(StoredTree("s3", f"dflow_like/bundles/{run}.tgz", "tar", s3_settings.bucket), bundle)
    env = {"DFLOW_LIKE_POD_ROOT": str(tmp_path / "pod"), "PYTHONPATH": str(bundle / "lib"),
           "DFLOW_LIKE_PARAM_n": "2", "DFLOW_LIKE_WORKFLOW": run}  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "dflow_like.runner.pod", "make"], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    outputs = tmp_path / "pod" / "tmp" / "outputs"
    key = f"{run}/{run}-make-1/files.tgz"
    # Argo's executor tars the output path under its base name (archive.TarGzToWriter)
    with tarfile.open(tmp_path / "files.tgz", "w:gz") as tar:
        tar.add(outputs / "artifacts" / "files", arcname="files")
    get_storage_client().upload(key, str(tmp_path / "files.tgz"))
    make_outputs = {
        "parameters": [{"name": "count", "value": "2", "description": '{"type": "int"}'},  # as the template says
                       {"name": "dflow_layouts", "value": (outputs / "parameters" / "dflow_layouts").read_text()}],
        "artifacts": [{"name": "files", "path": "/tmp/outputs/artifacts/files", "s3": {"key": key}}],
    }  # fmt: skip
    nodes = {
        run: {"id": run, "name": run, "displayName": run, "type": "Steps", "phase": "Running",
              "startedAt": "2024-05-01T12:00:00Z", "finishedAt": None, "children": [f"{run}-1"]},
        f"{run}-1": node(f"{run}-1", "make", "Succeeded", templateName="make", outputs=make_outputs,
                          inputs={"parameters": [{"name": "n", "value": "2"}, {"name": "dflow_key", "value": "mk"}]}),
        f"{run}-2": node(f"{run}-2", "fan(0:0)", "Running", templateName="double-items"),
    }  # fmt: skip
    double.advance(run, "Running", nodes, startedAt=None)
    assert wf.query_status() == "Running"

    [make] = wf.query_step(name="make")
    assert make.key == "mk" and make.phase == "Succeeded" and make.start_time is None
    assert make.outputs.parameters["count"].value == 2
    assert "dflow_layouts" not in make.outputs.parameters
    assert [r.name for r in wf.query_step(name="fan")] == ["fan(0:0)"]
    assert wf.query_step_by_key("mk")[0].name == "make"
    files = download_artifact(make.outputs.artifacts["files"], path=tmp_path / "down")
    assert [Path(f).name for f in files] == ["f0.txt", "f1.txt"]
    assert Path(files[1]).read_text() == "file 1\n"

    double.advance(run, "Failed", message="child failed")
    assert wf.query_status() == "Failed" and wf.query_message() == "child failed"
    wf.retry()
    assert wf.query_status() == "Running"
    wf.terminate()
    assert double.workflows[("argo", run)]["spec"]["shutdown"] == "Terminate"
    assert run in backend.list_ids()
    new = wf.resubmit()
    assert new != run and ("argo", new) in double.workflows
    wf.delete()
    assert ("argo", new) not in double.workflows


def test_submit_refuses_an_invalid_manifest(double: ArgoDouble) -> None:
    point_at(double)
    wf = Workflow("Bad_Name")  # not a Kubernetes name
    from dflow_like import ShellOPTemplate, Step

    wf.add(Step("hello", ShellOPTemplate("hello", image="alpine", script="echo hi")))
    with pytest.raises(DefinitionError, match="not a valid Kubernetes name"):
        ArgoBackend().submit(wf, [])
    assert double.workflows == {}


def test_workflow_selects_the_argo_backend(double: ArgoDouble) -> None:
    point_at(double)
    assert isinstance(Workflow("w")._backend(), ArgoBackend)
    s3_config["repo_key"] = "x"
    assert json.loads(json.dumps(Workflow("w").to_dict()))["spec"]["artifactRepositoryRef"] == {"key": "x"}
