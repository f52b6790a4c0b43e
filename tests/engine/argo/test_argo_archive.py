"""The client reads the Argo Server's workflow archive (``ArchivedWorkflowService``), as served by the double.

Paths, parameters and answers follow server/workflowarchive/archived_workflow_server.go
and pkg/apiclient/workflowarchive/workflow-archive.proto. ``list_workflows()`` and
``dflow-like list`` stay the server's ``ListWorkflows``, as dflow's ``query_workflows``
does (dflow/workflow.py); the archive is its separate ``query_archived_workflows``.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest

from dflow_like.engine.argo.backend import ArgoBackend
from dflow_like.engine.argo.client import ARCHIVING_STATUS, ArgoClient, ArgoError, in_cluster

from .argo_double import ArgoDouble
from .manifests import steps_workflow
from .workflow_status import NAME, slice_nodes


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


# --- retry and resubmit of an archived run (RetryArchivedWorkflow, ResubmitArchivedWorkflow) ---


def _failed_nodes() -> dict[str, Any]:
    """``slice_nodes`` finished: ``prep`` succeeded, then stage ``[1]``: ``run(0:1)`` failed and
    ``run(1:2)`` succeeded (linked as Argo links steps: a step's child is the next stage)."""
    nodes = slice_nodes()
    root, prep, failed, done = NAME, f"{NAME}-200", f"{NAME}-300", f"{NAME}-301"
    nodes[prep]["children"] = [f"{NAME}-250"]
    nodes[f"{NAME}-250"] = {
        "id": f"{NAME}-250", "name": f"{NAME}[1]", "displayName": "[1]", "type": "StepGroup", "boundaryID": root,
        "phase": "Failed", "startedAt": "2024-05-01T12:00:05Z", "finishedAt": "2024-05-01T12:00:09Z",
        "children": [failed, done],
    }  # fmt: skip
    nodes[root].update(phase="Failed", finishedAt="2024-05-01T12:00:09Z")
    nodes[failed].update(phase="Failed", finishedAt="2024-05-01T12:00:08Z", message="Error (exit code 1)")
    nodes[done].update(phase="Succeeded", startedAt="2024-05-01T12:00:06Z", finishedAt="2024-05-01T12:00:07Z")
    return nodes


def _archived_failed(double: ArgoDouble, client: ArgoClient) -> tuple[str, str]:
    manifest = steps_workflow()
    manifest["metadata"]["labels"] = {"project": "eos"}
    name = client.create(manifest)
    double.advance(name, phase="Failed", nodes=_failed_nodes(), startedAt="2024-05-01T12:00:00Z",
                   finishedAt="2024-05-01T12:00:09Z", message="child failed")  # fmt: skip
    return name, double.archive(name)


def test_an_archived_failed_run_is_retried_into_the_cluster_under_its_name(double: ArgoDouble) -> None:
    """Argo recreates the run from the archive (a new uid), its failed step reset to run again,
    what succeeded kept; the archive keeps the old run. While that name is in the cluster the
    server refuses a second retry from the archive (409: "use argo retry {name} instead")."""
    client = _client(double)
    name, uid = _archived_failed(double, client)
    assert client.retry_archived(uid) == name
    assert ("PUT", f"/api/v1/archived-workflows/{uid}/retry") in double.requests
    live = client.get(name)
    meta, status = live["metadata"], live["status"]
    assert meta["uid"] != uid and meta["namespace"] == "argo" and in_cluster(live)
    assert meta["labels"]["project"] == "eos" and "workflows.argoproj.io/completed" not in meta["labels"]
    nodes = status["nodes"]
    assert f"{NAME}-300" not in nodes  # the failed pod runs again
    assert nodes[f"{NAME}-301"]["phase"] == nodes[f"{NAME}-200"]["phase"] == "Succeeded"  # kept
    assert nodes[NAME]["phase"] == nodes[f"{NAME}-250"]["phase"] == "Running"  # the groups above it
    assert not status.get("phase") and not status.get("finishedAt") and not status.get("message")
    assert client.get_archived(uid)["status"]["phase"] == "Failed"  # the archive keeps the old run
    with pytest.raises(ArgoError) as again:
        client.retry_archived(uid)
    assert again.value.status == 409 and f"use argo retry {name} instead" in str(again.value)
    assert "archived workflow" in str(again.value) and uid in str(again.value)


def test_retrying_an_archived_run_asks_what_argo_asks(double: ArgoDouble) -> None:
    """``FormulateRetryWorkflow``: a Succeeded run is retried only for the steps named
    (``restartSuccessful`` with ``nodeFieldSelector``: ``step``); an unknown uid is a 404."""
    client = _client(double)
    name = _finished(double, client)
    double.advance(name, nodes=_succeeded_nodes())
    uid = double.archive(name)
    with pytest.raises(ArgoError) as refused:
        client.retry_archived(uid)
    assert refused.value.status == 400 and "restartSuccessful and nodeFieldSelector" in str(refused.value)
    assert ("argo", name) not in double.workflows
    assert client.retry_archived(uid, step="run(1:2)") == name
    nodes = client.get(name)["status"]["nodes"]
    assert f"{NAME}-301" not in nodes and nodes[f"{NAME}-300"]["phase"] == "Succeeded"
    with pytest.raises(ArgoError) as missing:
        client.retry_archived("00000000-0000-0000-0000-000000000000")
    assert missing.value.status == 404


def _succeeded_nodes() -> dict[str, Any]:
    nodes = _failed_nodes()
    for node in nodes.values():
        node["phase"] = "Succeeded"
        node.pop("message", None)
    return nodes


def test_an_archived_run_is_resubmitted_as_a_new_run(double: ArgoDouble) -> None:
    """``ResubmitArchivedWorkflow``: a new run named from the old one's name, its user labels and
    ``resubmitted-from-workflow``; ``memoized`` needs a Failed or Error run."""
    client = _client(double)
    name, uid = _archived_failed(double, client)
    new = client.resubmit_archived(uid)
    assert new != name and new.startswith(name + "-")
    assert ("PUT", f"/api/v1/archived-workflows/{uid}/resubmit") in double.requests
    labels = client.get(new)["metadata"]["labels"]
    assert labels["project"] == "eos" and labels["workflows.argoproj.io/resubmitted-from-workflow"] == name
    assert ARCHIVING_STATUS not in labels and "workflows.argoproj.io/completed" not in labels
    assert client.get(new)["status"]["phase"] == "Pending"
    assert client.resubmit_archived(uid, memoized=True).startswith(name + "-")
    done = _finished(double, client)
    with pytest.raises(ArgoError) as refused:
        client.resubmit_archived(double.archive(done), memoized=True)
    assert refused.value.status == 400 and "Failed/Error" in str(refused.value)
