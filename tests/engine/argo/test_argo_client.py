from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from dflow_like.engine.argo.client import ArgoClient, ArgoError
from dflow_like.engine.argo.status import step_records, workflow_phase

from .argo_double import ArgoDouble
from .manifests import dag_workflow, steps_workflow
from .workflow_status import slice_nodes, status_fields


def _client(double: ArgoDouble, token: str | None = None) -> ArgoClient:
    return ArgoClient(double.url, token=token or double.token, namespace="argo")


def test_create_get_list_delete(double: ArgoDouble) -> None:
    client = _client(double)
    name = client.create(steps_workflow())
    assert name.startswith("hello-") and len(name) == len("hello-") + 5
    workflow = client.get(name)
    assert workflow["metadata"]["namespace"] == "argo"
    assert workflow["status"] == {"phase": "Pending", "startedAt": None, "finishedAt": None}
    assert [w["metadata"]["name"] for w in client.list()] == [name]
    client.delete(name)
    assert client.list() == []  # Argo answers "items": null
    assert ("DELETE", f"/api/v1/workflows/argo/{name}") in double.requests


def test_progress_with_fields_the_models_reject(double: ArgoDouble) -> None:
    client = _client(double)
    name = client.create(steps_workflow())
    double.advance(name, phase="Running", nodes=slice_nodes(), **status_fields())
    workflow = client.get(name)
    assert workflow["status"]["finishedAt"] is None
    assert workflow_phase(workflow) == "Running"
    assert {r.name for r in step_records(workflow)} >= {"prep", "run(0:1)", "run(1:2)"}
    double.advance(name, phase="Succeeded", finishedAt="2024-05-01T12:01:00Z")
    assert workflow_phase(client.get(name)) == "Succeeded"


def test_generated_models_do_choke_on_null_times(double: ArgoDouble) -> None:
    """Why the client reads raw JSON: the package's own deserialisation fails."""
    from argo_workflows.exceptions import ApiTypeError

    name = _client(double).create(dag_workflow())
    api = _client(double)._api
    with pytest.raises(ApiTypeError, match="started_at"):
        api.get_workflow("argo", name)


def test_terminate_stop_retry_resubmit(double: ArgoDouble) -> None:
    client = _client(double)
    name = client.create(steps_workflow())
    client.terminate(name)
    assert double.workflows[("argo", name)]["spec"]["shutdown"] == "Terminate"
    client.stop(name)
    assert double.workflows[("argo", name)]["spec"]["shutdown"] == "Stop"
    double.advance(name, phase="Failed")
    client.retry(name)
    assert client.get(name)["status"]["phase"] == "Running"
    new = client.resubmit(name, memoized=True)
    assert new != name and new.startswith(name + "-")
    labels = client.get(new)["metadata"]["labels"]
    assert labels["workflows.argoproj.io/resubmitted-from-workflow"] == name
    put = [path for method, path in double.requests if method == "PUT"]
    assert put == [f"/api/v1/workflows/argo/{name}/{verb}" for verb in ("terminate", "stop", "retry", "resubmit")]


def test_logs_join_the_stream(double: ArgoDouble) -> None:
    client = _client(double)
    name = client.create(steps_workflow())
    double.set_logs(name, [("pod-a", "hello"), ("pod-b", "world"), ("pod-a", "again")])
    assert client.logs(name) == "hello\nworld\nagain"
    assert client.logs(name, pod_name="pod-a") == "hello\nagain"
    _method, path = double.requests[-1]
    assert "logOptions.container=main" in path and "podName=pod-a" in path


def test_not_found_names_host_namespace_and_workflow(double: ArgoDouble) -> None:
    with pytest.raises(ArgoError) as info:
        _client(double).get("missing")
    message = str(info.value)
    assert info.value.status == 404
    assert double.url in message and "'argo'" in message and "'missing'" in message
    assert 'workflows.argoproj.io "missing" not found' in message


def test_bad_token_is_refused_and_never_shown(double: ArgoDouble) -> None:
    secret = "v2:super-secret-token"
    with pytest.raises(ArgoError) as info:
        _client(double, token=f"Bearer {secret}").list()
    assert info.value.status == 401 and "token was refused" in str(info.value)
    assert secret not in str(info.value) and secret not in repr(info.value)


def test_bearer_prefix_is_accepted(double: ArgoDouble) -> None:
    assert _client(double, token=f"Bearer {double.token}").list() == []


def test_connection_refused(double: ArgoDouble) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = ArgoClient(f"http://127.0.0.1:{port}", token="v2:secret", namespace="ns1")
    with pytest.raises(ArgoError) as info:
        client.get("wf-1")
    message = str(info.value)
    assert "cannot reach the Argo Server" in message and f"127.0.0.1:{port}" in message
    assert "'ns1'" in message and "'wf-1'" in message and "v2:secret" not in message


def test_create_sends_the_manifest_unchanged(double: ArgoDouble) -> None:
    manifest: dict[str, Any] = steps_workflow()
    name = _client(double).create(manifest)
    stored = double.workflows[("argo", name)]
    assert json.dumps(stored["spec"], sort_keys=True) == json.dumps(manifest["spec"], sort_keys=True)
