"""The emulator's own rules, on small hand-written manifests (script pods on a bare ``python:3.11``).

Each test names the Argo function whose behaviour it checks (see controller.py's docstring).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from tests.requires import unavailable

from .controller import EmulatedArgo, aggregate

pytestmark = pytest.mark.s3


def script(
    name: str, source: str, params: tuple[str, ...] = (), outputs: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "inputs": {"parameters": [{"name": p} for p in params]},
        "outputs": {"parameters": [{"name": o, "valueFrom": {"path": f"/tmp/{o}"}} for o in outputs]},
        "script": {"image": "python:3.11", "command": ["python3"], "source": source},
        **extra,
    }


def run(argo: EmulatedArgo, entry: str, templates: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    name = argo.create(
        {"metadata": {"generateName": "t-"}, "spec": {"entrypoint": entry, "templates": templates, **spec}}
    )
    return argo.get(name)


def nodes(wf: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["displayName"]: n for n in wf["status"]["nodes"].values()}


def out(node: dict[str, Any], name: str) -> str:
    return next(p["value"] for p in node["outputs"]["parameters"] if p["name"] == name)


def test_aggregation_keeps_strings_unless_every_value_is_a_list_or_map() -> None:
    """``aggregatedJSONValueList`` / ``tryJSONUnmarshal`` (operator.go)."""
    assert aggregate(["1.5", "2"]) == '["1.5","2"]'
    assert aggregate(["[1]", '{"a":1}']) == '[[1],{"a":1}]'
    assert aggregate(["[1]", "2"]) == '["[1]","2"]'


def test_pods_lack_our_package_and_have_their_own_tmp(argo: EmulatedArgo) -> None:
    if os.geteuid() != 0:
        unavailable("a pod's own /tmp needs root (unshare -m and a bind mount)")
    probe = script(
        "probe",
        "import importlib.util, os, pathlib\n"
        "pathlib.Path('/tmp/mine').write_text(str(os.getpid()))\n"
        "seen = sorted(p.name for p in pathlib.Path('/tmp').iterdir())\n"
        "missing = importlib.util.find_spec('dflow_like') is None\n"
        "pathlib.Path('/tmp/r').write_text(f\"{missing} {','.join(seen)}\")\n",
        outputs=("r",),
    )
    steps = {"name": "main", "steps": [[{"name": "a", "template": "probe"}, {"name": "b", "template": "probe"}]]}
    wf = run(argo, "main", [steps, probe])
    assert wf["status"]["phase"] == "Succeeded"
    for step in ("a", "b"):
        missing, seen = out(nodes(wf)[step], "r").split(" ")
        assert missing == "True"
        assert "mine" in seen.split(",") and "pytest-of-root" not in seen


def test_loops_with_items_sequence_and_aggregated_outputs(argo: EmulatedArgo) -> None:
    """``expandStep`` (steps.go), ``expandSequence`` and ``processAggregateNodeOutputs`` (operator.go)."""
    square = script(
        "square",
        "import pathlib\npathlib.Path('/tmp/y').write_text(str({{inputs.parameters.x}} ** 2))\n",
        ("x",),
        ("y",),
    )
    echo = script(
        "echo", "import pathlib\npathlib.Path('/tmp/v').write_text('{{inputs.parameters.v}}')\n", ("v",), ("v",)
    )
    main = {"name": "main", "steps": [
        [{"name": "items", "template": "square", "arguments": {"parameters": [{"name": "x", "value": "{{item}}"}]},
          "withItems": [3, 1, 2]},
         {"name": "seq", "template": "square", "arguments": {"parameters": [{"name": "x", "value": "{{item}}"}]},
          "withSequence": {"start": "1", "end": "3"}}],
        [{"name": "gather", "template": "echo",
          "arguments": {"parameters": [{"name": "v", "value": "{{steps.items.outputs.parameters.y}}"}]}}],
    ]}  # fmt: skip
    wf = run(argo, "main", [main, square, echo])
    assert wf["status"]["phase"] == "Succeeded"
    shown = nodes(wf)
    assert {"items(0:3)", "items(1:1)", "items(2:2)", "seq(0:1)", "seq(1:2)", "seq(2:3)"} <= set(shown)
    assert json.loads(out(shown["gather"], "v")) == ["9", "1", "4"]  # strings, in loop order


def test_when_false_skips_and_retries_follow_the_policy(argo: EmulatedArgo) -> None:
    """``shouldExecute`` (steps.go); ``processNodeRetries`` with an expression (operator.go)."""
    fail = script(
        "fail",
        "import sys\nsys.exit(3)\n",
        retryStrategy={"limit": "2", "expression": "asInt(lastRetry.exitCode) == 3"},
    )
    once = script(
        "once",
        "import sys\nsys.exit(1)\n",
        retryStrategy={"limit": "2", "expression": "asInt(lastRetry.exitCode) == 3"},
    )
    ok = script("ok", "print('hi')\n")
    main = {"name": "main", "steps": [[
        {"name": "skipped", "template": "ok", "when": "a == b"},
        {"name": "fail", "template": "fail", "continueOn": {"failed": True}},
        {"name": "once", "template": "once", "continueOn": {"failed": True}},
    ]]}  # fmt: skip
    wf = run(argo, "main", [main, fail, once, ok])
    shown = nodes(wf)
    assert shown["skipped"]["phase"] == "Skipped" and shown["skipped"]["type"] == "Skipped"
    assert shown["fail"]["type"] == "Retry" and len(shown["fail"]["children"]) == 3
    assert shown["fail"]["message"] == "No more retries left"
    assert len(shown["once"]["children"]) == 1
    assert shown["once"]["message"] == "retryStrategy.expression evaluated to false"
    assert wf["status"]["phase"] == "Succeeded"  # continueOn.failed covers both


def test_deadlines_error_before_start_or_kill_the_pod(argo: EmulatedArgo) -> None:
    """``podBuilder.build`` (workflowpod.go): <= 1 s left errors; otherwise the pod is killed."""
    short = script("short", "import time\ntime.sleep(30)\n", timeout="2s")
    longer = script("longer", "import time\ntime.sleep(30)\n", timeout="3s")
    main = {"name": "main", "steps": [[
        {"name": "short", "template": "short", "continueOn": {"failed": True, "error": True}},
        {"name": "longer", "template": "longer", "continueOn": {"failed": True}},
    ]]}  # fmt: skip
    wf = run(argo, "main", [main, short, longer])
    shown = nodes(wf)
    assert shown["short"]["phase"] == "Error" and "exceeded its deadline" in shown["short"]["message"]
    assert "podName" not in shown["short"]
    assert shown["longer"]["phase"] == "Failed"
    assert shown["longer"]["message"] == "Pod was active on the node longer than the specified deadline"


def test_dag_dependencies_and_exit_handler(argo: EmulatedArgo) -> None:
    """``executeDAG`` (dag.go): a failed dependency blocks its dependents; ``runOnExitNode``
    (exit_handler.go) runs after with ``{{workflow.status}}``."""
    ok = script("ok", "import pathlib\npathlib.Path('/tmp/v').write_text('{{inputs.parameters.v}}')\n", ("v",), ("v",))
    bad = script("bad", "import sys\nsys.exit(1)\n")
    status = script(
        "status", "import pathlib\npathlib.Path('/tmp/s').write_text('{{workflow.status}}')\n", outputs=("s",)
    )
    dag = {"name": "main", "dag": {"tasks": [
        {"name": "a", "template": "ok", "arguments": {"parameters": [{"name": "v", "value": "A"}]}},
        {"name": "b", "template": "ok", "dependencies": ["a"],
         "arguments": {"parameters": [{"name": "v", "value": "{{tasks.a.outputs.parameters.v}}B"}]}},
        {"name": "c", "template": "bad", "dependencies": ["a"]},
        {"name": "d", "template": "ok", "dependencies": ["c"],
         "arguments": {"parameters": [{"name": "v", "value": "D"}]}},
    ]}}  # fmt: skip
    wf = run(argo, "main", [dag, ok, bad, status], onExit="status")
    shown = nodes(wf)
    assert out(shown["b"], "v") == "AB"
    assert shown["c"]["phase"] == "Failed"
    assert "d" not in shown  # never started
    assert wf["status"]["phase"] == "Failed"
    assert out(shown[f"{wf['metadata']['name']}.onExit"], "s") == "Failed"
