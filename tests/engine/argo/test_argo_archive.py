"""The client reads the Argo Server's workflow archive (``ArchivedWorkflowService``), as served by the double.

Paths, parameters and answers follow server/workflowarchive/archived_workflow_server.go
and pkg/apiclient/workflowarchive/workflow-archive.proto. ``list_workflows()`` and
``dflow-like list`` stay the server's ``ListWorkflows``, as dflow's ``query_workflows``
does (dflow/workflow.py); the archive is its separate ``query_archived_workflows``.
"""

from __future__ import annotations

import urllib.parse

import pytest

from dflow_like.engine.argo.backend import ArgoBackend
from dflow_like.engine.argo.client import ARCHIVING_STATUS, ArgoClient, ArgoError, in_cluster

from .argo_double import ArgoDouble
from .manifests import steps_workflow
from .workflow_status import slice_nodes


def _client(double: ArgoDouble, namespace: str = "argo") -> ArgoClient:
    return ArgoClient(double.url, token=double.token, namespace=namespace)


def _finished(double: ArgoDouble, client: ArgoClient, labels: dict[str, str] | None = None) -> str:
    manifest = steps_workflow()
    manifest["metadata"]["labels"] = dict(labels or {})
    name = client.create(manifest)
    double.advance(name, phase="Succeeded", nodes=slice_nodes(), startedAt="2024-05-01T12:00:00Z",
                   finishedAt="2024-05-01T12:01:00Z")  # fmt: skip
    return name


def test_archived_runs_are_listed_by_namespace_without_their_nodes(double: ArgoDouble) -> None:
    client = _client(double)
    assert client.list_archived() == []  # Argo answers "items": null
    name = _finished(double, client, {"project": "eos"})
    uid = double.archive(name)
    listed = client.list_archived()
    assert [w["metadata"]["uid"] for w in listed] == [uid]
    assert listed[0]["metadata"]["labels"][ARCHIVING_STATUS] == "Persisted" and not in_cluster(listed[0])
    assert listed[0]["status"]["phase"] == "Succeeded" and "nodes" not in listed[0]["status"]
    _, path = double.requests[-1]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    assert urllib.parse.urlsplit(path).path == "/api/v1/archived-workflows"
    assert query == {"listOptions.fieldSelector": ["metadata.namespace=argo"]}  # read by Argo 3.4 and later
    assert client.list_archived(label_selector="project=eos") and not client.list_archived(label_selector="project=x")
    assert client.list_archived(name=name) and not client.list_archived(name="other")
    assert _client(double, "elsewhere").list_archived() == []


def test_an_archived_run_is_read_whole_by_uid(double: ArgoDouble) -> None:
    client = _client(double)
    name = _finished(double, client)
    uid = double.archive(name)
    with pytest.raises(ArgoError) as gone:
        client.get(name)  # Argo 3.4: the cluster's run only
    assert gone.value.status == 404
    workflow = client.get_archived(uid)
    assert workflow["metadata"]["name"] == name and workflow["status"]["nodes"] == slice_nodes()
    assert not in_cluster(workflow)
    assert ("GET", f"/api/v1/archived-workflows/{uid}") in double.requests
    with pytest.raises(ArgoError) as missing:
        client.get_archived("00000000-0000-0000-0000-000000000000")
    assert (
        missing.value.status == 404 and "archived workflow" in str(missing.value) and double.url in str(missing.value)
    )
    with pytest.raises(ArgoError) as other:
        _client(double, "elsewhere").get_archived(uid)  # one namespace's runs only
    assert other.value.status == 404


def test_list_workflows_stays_the_servers_list_as_dflows_query_workflows(double: ArgoDouble) -> None:
    """dflow's ``query_workflows`` asks ``ListWorkflows`` only; archived runs are
    ``query_archived_workflows``'s. Our ``list_ids`` (``list_workflows()``) and ``summaries``
    (``dflow-like list``) do the same: a run gone from the cluster of a 3.4 server is not listed."""
    client = _client(double)
    kept, gone = _finished(double, client), _finished(double, client)
    double.archive(kept, delete=False)
    double.archive(gone)
    backend = ArgoBackend(client)
    assert backend.list_ids() == [kept]
    assert [s.id for s in backend.summaries()] == [kept]
    assert not any(p.startswith("/api/v1/archived-workflows") for _, p in double.requests)


def test_the_archive_refuses_what_argo_refuses(double: ArgoDouble) -> None:
    """``BuildListOptions`` (server/utils/list_options.go) rejects a field selector it does not know."""
    client = _client(double)
    with pytest.raises(ArgoError) as bad:
        client._call("list", "", "list_archived_workflows", query=[("listOptions.fieldSelector", "spec.x=1")],
                     api=client._archive_api)  # fmt: skip
    assert bad.value.status == 400 and "unsupported requirement" in str(bad.value)
    double.archive_forbidden = True
    with pytest.raises(ArgoError) as denied:
        client.list_archived()
    assert denied.value.status == 403
