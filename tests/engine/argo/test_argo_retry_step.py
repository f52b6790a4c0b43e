"""``Workflow.retry(step)`` on Argo: the retry request names the node and restarts it though it succeeded."""

from __future__ import annotations

from typing import Any

import pytest

from dflow_like.engine.argo.client import ArgoClient

from .argo_double import ArgoDouble
from .manifests import steps_workflow


def test_retry_of_one_step_sends_argos_node_selector(double: ArgoDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    client = ArgoClient(double.url, token=double.token, namespace="argo")
    name = client.create(steps_workflow())
    double.advance(name, phase="Failed")
    bodies: list[dict[str, Any]] = []
    real = ArgoClient._call

    def spy(self: ArgoClient, action: str, wf: str, operation: str, body: Any = None, **kw: Any) -> Any:
        if action == "retry":
            bodies.append(dict(body))
        return real(self, action, wf, operation, body=body, **kw)

    monkeypatch.setattr(ArgoClient, "_call", spy)
    client.retry(name, "hello")
    # Argo's WorkflowRetryRequest (pkg/apiclient/workflow/workflow.proto): restartSuccessful, nodeFieldSelector
    assert bodies[0] == {
        "name": name,
        "namespace": "argo",
        "restartSuccessful": True,
        "nodeFieldSelector": "displayName=hello",
    }
    assert client.get(name)["status"]["phase"] == "Running"
