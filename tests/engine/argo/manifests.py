"""Small hand-written Argo manifests for the tests (valid unless a test breaks them)."""

from __future__ import annotations

import copy
from typing import Any


def steps_workflow() -> dict[str, Any]:
    """A steps workflow with a loop, an output parameter, an artifact and a retry."""
    return copy.deepcopy(_STEPS)


def dag_workflow() -> dict[str, Any]:
    """The diamond A -> (B, C) -> D, passing a parameter and an artifact."""
    return copy.deepcopy(_DAG)


_STEPS: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Workflow",
    "metadata": {"generateName": "hello-", "labels": {"team": "chem"}},
    "spec": {
        "entrypoint": "main",
        "arguments": {"parameters": [{"name": "greeting", "value": "hi"}]},
        "templates": [
            {
                "name": "main",
                "steps": [
                    [
                        {
                            "name": "make",
                            "template": "make",
                            "arguments": {
                                "parameters": [
                                    {"name": "msg", "value": "{{workflow.parameters.greeting}}"},
                                    {"name": "dflow_key", "value": "make-0"},
                                ]
                            },
                        }
                    ],
                    [
                        {
                            "name": "use",
                            "template": "use",
                            "withItems": [{"n": 1}, {"n": 2}],
                            "when": "{{steps.make.outputs.parameters.out}} != ''",
                            "arguments": {
                                "parameters": [
                                    {"name": "n", "value": "{{item.n}}"},
                                    {
                                        "name": "text",
                                        "value": "{{=steps['make'].outputs.parameters['out']}}",
                                    },
                                ],
                                "artifacts": [
                                    {
                                        "name": "data",
                                        "from": "{{steps.make.outputs.artifacts.data}}",
                                    }
                                ],
                            },
                        }
                    ],
                ],
                "outputs": {
                    "parameters": [
                        {
                            "name": "last",
                            "valueFrom": {"parameter": "{{steps.make.outputs.parameters.out}}"},
                        }
                    ]
                },
            },
            {
                "name": "make",
                "inputs": {"parameters": [{"name": "msg"}, {"name": "dflow_key", "value": ""}]},
                "retryStrategy": {
                    "limit": 2,
                    "retryPolicy": "OnError",
                    "backoff": {"duration": "5s", "factor": 2},
                },
                "timeout": "60s",
                "script": {
                    "image": "python:3.11",
                    "command": ["python"],
                    "source": "print('{{inputs.parameters.msg}} on {{pod.name}} try {{retries}}')",
                    "resources": {"requests": {"cpu": 1, "memory": "1Gi"}},
                },
                "outputs": {
                    "parameters": [{"name": "out", "valueFrom": {"path": "/tmp/out"}}],
                    "artifacts": [{"name": "data", "path": "/tmp/data"}],
                },
            },
            {
                "name": "use",
                "inputs": {
                    "parameters": [{"name": "n"}, {"name": "text"}],
                    "artifacts": [{"name": "data", "path": "/tmp/in"}],
                },
                "container": {
                    "image": "busybox",
                    "command": ["sh", "-c"],
                    "args": ["echo {{inputs.parameters.n}} {{inputs.artifacts.data.path}}"],
                },
            },
        ],
    },
}

_DAG: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Workflow",
    "metadata": {"name": "diamond"},
    "spec": {
        "entrypoint": "diamond",
        "templates": [
            {
                "name": "diamond",
                "dag": {
                    "tasks": [
                        {
                            "name": "A",
                            "template": "echo",
                            "arguments": {"parameters": [{"name": "m", "value": "A"}]},
                        },
                        {
                            "name": "B",
                            "depends": "A",
                            "template": "echo",
                            "arguments": {"parameters": [{"name": "m", "value": "{{tasks.A.outputs.result}}"}]},
                        },
                        {
                            "name": "C",
                            "depends": "A.Succeeded",
                            "template": "echo",
                            "withParam": "{{tasks.A.outputs.result}}",
                            "arguments": {"parameters": [{"name": "m", "value": "{{item.x}}"}]},
                        },
                        {
                            "name": "D",
                            "depends": "B && C",
                            "template": "echo",
                            "arguments": {
                                "parameters": [
                                    {
                                        "name": "m",
                                        "value": "{{tasks.C.outputs.parameters}} {{tasks.A.id}}",
                                    }
                                ]
                            },
                        },
                    ]
                },
            },
            {
                "name": "echo",
                "inputs": {"parameters": [{"name": "m"}]},
                "container": {"image": "busybox", "command": ["echo", "{{inputs.parameters.m}}"]},
                "outputs": {"parameters": [{"name": "o", "value": "x"}]},
            },
        ],
    },
}
