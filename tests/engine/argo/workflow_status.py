"""A workflow status as the Argo Server returns it, with the fields the models reject."""

from __future__ import annotations

from typing import Any

NAME = "slices-x7k2p"


def slice_nodes() -> dict[str, Any]:
    """A steps workflow: ``prep`` (key ``prep``), then ``run`` sliced over two items."""
    return {
        NAME: {
            "id": NAME, "name": NAME, "displayName": NAME, "type": "Steps",
            "templateName": "main", "phase": "Running", "startedAt": "2024-05-01T12:00:00Z",
            "finishedAt": None, "children": [f"{NAME}-100"], "progress": "2/3",
        },
        f"{NAME}-100": {
            "id": f"{NAME}-100", "name": f"{NAME}[0]", "displayName": "[0]", "type": "StepGroup",
            "boundaryID": NAME, "phase": "Succeeded", "startedAt": "2024-05-01T12:00:00Z",
            "finishedAt": "2024-05-01T12:00:05Z", "children": [f"{NAME}-200"],
        },
        f"{NAME}-200": {
            "id": f"{NAME}-200", "name": f"{NAME}[0].prep", "displayName": "prep", "type": "Pod",
            "templateName": "prep", "phase": "Succeeded", "startedAt": "2024-05-01T12:00:01Z",
            "finishedAt": "2024-05-01T12:00:04Z", "hostNodeName": "node-1",
            "inputs": {"parameters": [{"name": "dflow_key", "value": "prep"},
                                      {"name": "n", "value": "3"}]},
            "outputs": {
                "parameters": [
                    {"name": "items", "value": "[1, 2]", "valueFrom": {"path": "/tmp/items"},
                     "description": "{\"type\": \"list\"}"},
                    {"name": "dflow_success_tag", "value": "1"},
                ],
                "artifacts": [
                    {"name": "data", "path": "/tmp/data", "s3": {"key": "slices-x7k2p/data.tgz"}},
                    {"name": "plain", "path": "/tmp/p", "s3": {"key": "run/plain", "bucket": "b2"},
                     "archive": {"none": {}}},
                    {"name": "main-logs", "s3": {"key": "slices-x7k2p/prep/main.log"}},
                ],
                "exitCode": "0",
            },
            "resourcesDuration": {"cpu": 1, "memory": 1},
        },
        f"{NAME}-300": {
            "id": f"{NAME}-300", "name": f"{NAME}[1].run(0:1)", "displayName": "run(0:1)",
            "type": "Pod", "templateName": "run", "phase": "Running",
            "startedAt": "2024-05-01T12:00:06Z", "finishedAt": None,
            "inputs": {"parameters": [{"name": "dflow_key", "value": "run-0"}]},
        },
        f"{NAME}-301": {
            "id": f"{NAME}-301", "name": f"{NAME}[1].run(1:2)", "displayName": "run(1:2)",
            "type": "Pod", "templateName": "run", "phase": "Pending", "startedAt": None,
            "finishedAt": None, "message": "Unschedulable: 0/3 nodes are available",
            "inputs": {"parameters": [{"name": "dflow_key", "value": "run-1"}]},
        },
    }  # fmt: skip


def status_fields() -> dict[str, Any]:
    """Other status fields: nulls and values newer than the generated models know."""
    return {
        "startedAt": "2024-05-01T12:00:00Z",
        "finishedAt": None,
        "estimatedDuration": 12,
        "progress": "2/3",
        "taskResultsCompletionStatus": {f"{NAME}-200": True},
        "artifactRepositoryRef": {
            "default": True,
            "artifactRepository": {"s3": {"bucket": "my-bucket"}},
        },
        "conditions": [{"type": "PodRunning", "status": "True"}],
    }
