"""The compiler: every feature lands in the right manifest field, and every manifest is valid."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
import yaml

from dflow_like import DAG, Step, Task, Workflow, argo_sequence, s3_config
from dflow_like.artifacts import ArtifactPart, ArtifactRef, StoredTree
from dflow_like.engine.argo import lint_manifest
from dflow_like.engine.argo.compile import CompileError, CompileOptions, compile_workflow
from dflow_like.engine.argo.compile.check import manifest_problems
from dflow_like.python import PythonOPTemplate

from .ops import Double, Make, features_workflow, recursive_workflow


def templates(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in manifest["spec"]["templates"]}


def steps_of(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for stage in template["steps"] for s in stage}


def params(node: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p.get("value", p.get("default")) for p in node["arguments"]["parameters"]}


@pytest.fixture
def features() -> dict[str, Any]:
    return features_workflow().to_dict()


def test_manifest_header_and_spec_settings(features: dict[str, Any]) -> None:
    assert features["apiVersion"] == "argoproj.io/v1alpha1"
    assert features["kind"] == "Workflow"
    assert features["metadata"] == {
        "generateName": "features-",
        "labels": {"team": "chem"},
        "annotations": {"note": "test"},
    }
    spec = features["spec"]
    assert spec["entrypoint"] == "features"
    assert spec["arguments"] == {"parameters": [{"name": "n", "value": "3"}]}
    assert spec["parallelism"] == 4
    assert spec["ttlStrategy"] == {"secondsAfterCompletion": 600}
    assert spec["podGC"] == {"strategy": "OnPodSuccess"}


def test_every_compiled_manifest_passes_schema_and_lint(features: dict[str, Any]) -> None:
    assert manifest_problems(features) == []
    assert manifest_problems(recursive_workflow().to_dict()) == []
    assert features_workflow().lint() == []


def test_python_op_runs_the_pod_runner_from_the_bundle(features: dict[str, Any]) -> None:
    make = templates(features)["make"]
    container = make["container"]
    assert container["image"] == "python:3.11"
    assert container["command"][:2] == ["python3", "-c"] and container["command"][-1] == "make"
    assert "dflow_like.runner.pod" in container["command"][2]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["DFLOW_LIKE_PARAM_n"] == "{{inputs.parameters.n}}"
    bundle = next(a for a in make["inputs"]["artifacts"] if a["name"] == "dflow_bundle")
    assert bundle["path"] == "/tmp/dflow_like/bundle"
    assert bundle["s3"]["key"] == "dflow_like/bundles/{{workflow.name}}.tgz"
    files = make["outputs"]["artifacts"][0]
    assert files["path"] == "/tmp/outputs/artifacts/files"
    assert files["s3"]["key"] == "{{workflow.name}}/{{pod.name}}/files.tgz"


def test_retry_timeout_resources_env(features: dict[str, Any]) -> None:
    double = templates(features)["double-items"]
    assert double["retryStrategy"] == {
        "limit": "3", "retryPolicy": "Always", "expression": "asInt(lastRetry.exitCode) == 3",
        "backoff": {"duration": "2s", "factor": "2", "maxDuration": "60s"},
    }  # fmt: skip
    assert double["timeout"] == "150s"  # the runner times out at 120 s as a TransientError
    assert double["container"]["resources"] == {
        "requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"nvidia.com/gpu": "1"},
    }  # fmt: skip
    assert {"name": "OMP_NUM_THREADS", "value": "1"} in double["container"]["env"]


def test_retry_policies_map_to_argo() -> None:
    for kwargs, policy in (({"retry_on_failure": 2}, "OnFailure"), ({"retry_on_error": 2}, "OnError"),
                           ({"retry_on_failure_and_error": 2}, "Always")):  # fmt: skip
        wf = Workflow("r")
        wf.add(Step("s", PythonOPTemplate(Make, **kwargs), parameters={"n": 1}))
        strategy = templates(wf.to_dict())["make"]["retryStrategy"]
        assert strategy == {"limit": "2", "retryPolicy": policy}


def test_slices_fan_out_and_fan_in(features: dict[str, Any]) -> None:
    main = steps_of(templates(features)["features"])
    fan = main["fan"]
    assert fan["template"] == "double-items"
    assert fan["withParam"] == "{{=toJson(sprig.untilStep(0, 3, 1))}}"  # its size does not grow with the items
    assert fan["continueOn"] == {"failed": True}
    p = params(fan)
    assert p["dflow_key"] == "fan-{{item}}"
    assert p["dflow_slice"] == "{{item}}" and p["dflow_item"] == "{{item}}"
    assert p["dflow_group"] == "{{inputs.parameters.dflow_path}}/fan"
    item_out = templates(features)["double-items"]["outputs"]["artifacts"][0]
    assert item_out["archive"] == {"none": {}}
    assert (
        item_out["s3"]["key"]
        == "{{workflow.name}}/{{inputs.parameters.dflow_group}}/out/{{inputs.parameters.dflow_item}}"
    )
    total = main["total"]
    # Argo aggregates a JSON list of the items that succeeded, nothing when none did (gathered.py)
    assert params(total)["ys"] == "{{=(steps['fan']?.outputs?.parameters ?? {})['y'] ?? '[]'}}"
    assert total["arguments"]["artifacts"] == [
        {"name": "outs", "s3": {"key": "{{workflow.name}}/{{inputs.parameters.dflow_path}}/fan/out"}, "optional": True}
    ]
    assert total["when"] == "{{steps.make.outputs.parameters.count}} > 0"
    assert "double" not in templates(features)  # only called in a loop: only the gather variant


def test_slices_over_a_reference_loop_with_an_expression() -> None:
    wf = Workflow("s")
    make = Step("make", PythonOPTemplate(Make), parameters={"n": 2})
    fan = Step("fan", PythonOPTemplate(Make), parameters={"n": "{{workflow.parameters.ns}}"})
    fan.slices = None
    wf.parameters["ns"] = "[1,2]"
    from dflow_like.python import Slices

    fan.slices = Slices(input_parameter=["n"])
    wf.add([make])
    wf.add(fan)
    manifest = wf.to_dict()
    loop = steps_of(templates(manifest)["s"])["fan"]["withParam"]
    assert loop == "{{=toJson(sprig.untilStep(0, len(sprig.fromJson(workflow.parameters['ns'])), 1))}}"
    assert manifest_problems(manifest) == []


def test_dag_tasks_nested_template_and_outputs(features: dict[str, Any]) -> None:
    inner = templates(features)["inner"]
    tasks = {t["name"]: t for t in inner["dag"]["tasks"]}
    assert tasks["b"]["dependencies"] == ["a"]
    assert "dependencies" not in tasks["a"]
    assert inner["outputs"]["parameters"] == [
        {"name": "said", "valueFrom": {"parameter": "{{tasks.b.outputs.parameters.msg}}"}}
    ]
    assert {"name": "m", "default": "hi"} in inner["inputs"]["parameters"]
    sub = steps_of(templates(features)["features"])["sub"]
    assert params(sub)["dflow_path"] == "{{inputs.parameters.dflow_path}}/sub"


def test_script_template_is_argo_native(features: dict[str, Any]) -> None:
    echo = templates(features)["echo"]
    assert echo["script"]["image"] == "alpine:3"
    assert echo["script"]["command"] == ["sh"]
    assert echo["script"]["source"] == "echo {{inputs.parameters.msg}} > /tmp/msg.txt"
    assert echo["outputs"]["parameters"] == [{"name": "msg", "valueFrom": {"path": "/tmp/msg.txt"}}]


def test_recursive_steps_call_themselves() -> None:
    manifest = recursive_workflow().to_dict()
    loop = templates(manifest)["loop"]
    again = steps_of(loop)["again"]
    assert again["template"] == "loop"
    assert again["when"] == "{{steps.double.outputs.parameters.y}} < {{inputs.parameters.limit}}"
    assert params(again)["dflow_path"] == "{{inputs.parameters.dflow_path}}/again"


def test_on_exit_and_a_large_dag_compile() -> None:
    dag = DAG("main")
    tasks = []
    for i in range(50):
        tasks.append(Task(f"t{i}", PythonOPTemplate(Make), parameters={"n": i}, dependencies=tasks[-3:]))
        dag.add(tasks[-1])
    wf = Workflow("big", dag=dag, on_exit=PythonOPTemplate(Double, name="cleanup"))
    manifest = wf.to_dict()
    assert manifest["spec"]["onExit"] == "cleanup"
    assert templates(manifest)["main"]["dag"]["tasks"][10]["dependencies"] == ["t7", "t8", "t9"]
    assert lint_manifest(manifest) == []


def test_key_only_artifacts_with_a_cluster_repository() -> None:
    s3_config["repo_key"] = "my-repo"
    manifest = features_workflow().to_dict()
    assert manifest["spec"]["artifactRepositoryRef"] == {"key": "my-repo"}
    out = templates(manifest)["make"]["outputs"]["artifacts"][0]
    assert out["s3"] == {"key": "{{workflow.name}}/{{pod.name}}/files.tgz"}


def test_secrets_are_referenced_never_copied() -> None:
    s3_config.update(endpoint="s3.example:9000", bucket_name="runs", access_key="AKIAVERYSECRET",
                     secret_key="hunter2-super-secret", secret_name="s3-creds", prefix="team/")  # fmt: skip
    wf = features_workflow()
    wf.add(
        Step(
            "uses-upload",
            PythonOPTemplate(Double),
            parameters={"x": 1},
            artifacts={
                "src": ArtifactRef((ArtifactPart(StoredTree("s3", "team/upload/abc", "tar", "runs"), "in.txt"),))
            },
        )
    )
    text = wf.to_yaml()
    assert "AKIAVERYSECRET" not in text and "hunter2-super-secret" not in text
    manifest = yaml.safe_load(text)
    out = templates(manifest)["make"]["outputs"]["artifacts"][0]["s3"]
    assert out["accessKeySecret"] == {"name": "s3-creds", "key": "accesskey"}
    assert out["secretKeySecret"] == {"name": "s3-creds", "key": "secretkey"}
    assert out["bucket"] == "runs" and out["endpoint"] == "s3.example:9000"
    assert out["key"] == "team/{{workflow.name}}/{{pod.name}}/files.tgz"
    env = {e["name"]: e for e in templates(manifest)["make"]["container"]["env"]}
    assert env["DFLOW_LIKE_S3_SECRET_KEY"]["valueFrom"] == {"secretKeyRef": {"name": "s3-creds", "key": "secretkey"}}
    uses = steps_of(templates(manifest)["features"])["uses-upload"]
    assert uses["arguments"]["artifacts"][0]["s3"]["key"] == "team/upload/abc"
    assert params(uses)["dflow_layouts"] == '{"src":"in.txt"}'
    assert manifest_problems(manifest) == []


def test_unsupported_things_fail_with_a_clear_message() -> None:
    wf = Workflow("x")
    wf.add(Step("slurm-step", PythonOPTemplate(Make), parameters={"n": 1}, executor=object()))
    with pytest.raises(CompileError, match=r"'slurm-step'.*not supported on Argo yet"):
        wf.to_dict()
    wf = Workflow("y")
    local = ArtifactRef((ArtifactPart(StoredTree("local", "/tmp/x"), "a"),))
    wf.add(Step("s", PythonOPTemplate(Double), parameters={"x": 1}, artifacts={"src": local}))
    with pytest.raises(CompileError, match="stored locally"):
        wf.to_dict()


def _sliced_double(name: str, parallelism: int | None) -> Step:
    from dflow_like.python import Slices

    return Step(
        name,
        PythonOPTemplate(Double, slices=Slices(input_parameter=["x"], output_parameter=["y"])),
        parameters={"x": [1, 2, 3, 4]},
        parallelism=parallelism,
    )


def test_a_sliced_step_parallelism_caps_its_template() -> None:
    alone = Workflow("alone")
    alone.add(_sliced_double("fan", 2))
    manifest = alone.to_dict()
    assert templates(manifest)["alone"]["parallelism"] == 2  # Argo has no per-step cap
    assert manifest_problems(manifest) == []

    from dflow_like import Steps

    inner = Steps("inner", parallelism=3)
    inner.add(_sliced_double("fan", 2))
    inner.add(_sliced_double("other", None))
    shared = Workflow("shared")
    shared.add(Step("run", inner))
    with pytest.warns(UserWarning, match=r"template 'inner'.*'fan' \(2\) caps the whole template"):
        manifest = shared.to_dict()
    assert templates(manifest)["inner"]["parallelism"] == 2  # the smaller of the two caps
    assert "parallelism" not in templates(manifest)["shared"]


def test_a_success_threshold_compiles_to_a_check_after_the_loop() -> None:
    wf = Workflow("t")
    fan = _sliced_double("fan", None)
    fan.continue_on_num_success = 3
    wf.add(fan)
    wf.add(Step("after", PythonOPTemplate(Double), parameters={"x": 1}))
    manifest = wf.to_dict()
    stages = templates(manifest)["t"]["steps"]
    assert [[node["name"] for node in stage] for stage in stages] == [["fan"], ["fan-check-success"], ["after"]]
    assert stages[0][0]["continueOn"] == {"failed": True}  # items may fail; the check decides
    check = params(stages[1][0])
    assert check["success"] == "{{=(steps['fan']?.outputs?.parameters ?? {})['dflow_success'] ?? '[]'}}"
    assert check["items"] == "{{=toJson(sprig.untilStep(0, 4, 1))}}" and check["threshold"] == "3"
    assert check["kind"] == "continue_on_num_success"
    assert templates(manifest)["dflow-check-success"]["script"]["image"] == "python:3.11"
    assert manifest_problems(manifest) == []


def test_a_success_ratio_in_a_dag_holds_back_the_tasks_after_it() -> None:
    dag = DAG("d")
    fan = Task("fan", PythonOPTemplate(Double), parameters={"x": 1}, with_sequence=argo_sequence(5))
    fan.continue_on_success_ratio = 0.5
    dag.add(fan)
    dag.add(Task("after", PythonOPTemplate(Double), parameters={"x": fan.outputs.parameters["y"]}))
    wf = Workflow("r")
    wf.add(Step("run", dag))
    manifest = wf.to_dict()
    tasks = {t["name"]: t for t in templates(manifest)["d"]["dag"]["tasks"]}
    assert tasks["fan-check-success"]["dependencies"] == ["fan"]
    assert set(tasks["after"]["dependencies"]) == {"fan", "fan-check-success"}
    check = params(tasks["fan-check-success"])
    assert check["success"] == "{{=(tasks['fan']?.outputs?.parameters ?? {})['dflow_success'] ?? '[]'}}"
    assert check["count"] == "5"
    assert manifest_problems(manifest) == []


def _run_check(manifest: dict[str, Any], **values: str) -> subprocess.CompletedProcess[str]:
    """The check template's script, run as its pod would run it (its env filled in)."""
    script = templates(manifest)["dflow-check-success"]["script"]
    env = {e["name"]: e["value"] for e in script["env"]}
    filled = {name: values.get(name.lower(), "") for name in env}
    return subprocess.run(
        [sys.executable, "-c", script["source"]], env={**os.environ, **filled},
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_the_check_script_fails_the_run_below_the_threshold() -> None:
    wf = Workflow("t")
    fan = _sliced_double("fan", None)
    fan.continue_on_num_success = 3
    wf.add(fan)
    manifest = wf.to_dict()
    common = {"step": "fan", "kind": "continue_on_num_success", "items": "[0, 1, 2, 3]"}
    met = _run_check(manifest, success='["1","0","1","1"]', threshold="3", **common)
    assert met.returncode == 0 and "fan: 3 of 4 items succeeded" in met.stdout
    missed = _run_check(manifest, success='["1","1"]', threshold="3", **common)  # two items left no outputs
    assert missed.returncode == 1 and "2 of 4 items succeeded; continue_on_num_success=3 is not met" in missed.stdout
    ratio = {"step": "fan", "kind": "continue_on_success_ratio", "threshold": "0.5", "start": "1", "end": "4"}
    assert _run_check(manifest, success='["1","1"]', **ratio).returncode == 0  # 2 of 4
    assert _run_check(manifest, success='["1"]', **ratio).returncode == 1  # 1 of 4
    assert _run_check(manifest, success="", **ratio).returncode == 1  # every item failed
    empty = {**ratio, "start": "", "end": "", "items": "[]"}
    assert _run_check(manifest, success="", **empty).returncode == 0  # no items: met, as dflow's ratio and locally


def test_a_success_threshold_needs_a_looped_python_op() -> None:
    wf = Workflow("t")
    step = Step("one", PythonOPTemplate(Double), parameters={"x": 1})
    step.continue_on_num_success = 1
    wf.add(step)
    with pytest.raises(CompileError, match=r"step 'one' .*continue_on_num_success needs a looped step"):
        wf.to_dict()


def test_compile_is_deterministic() -> None:
    opts = CompileOptions()
    assert compile_workflow(features_workflow(), opts) == compile_workflow(features_workflow(), opts)


# --- hand-broken manifests are caught -------------------------------------------------------


def broken(mutate: Any) -> list[str]:
    manifest = features_workflow().to_dict()
    mutate(manifest)
    return manifest_problems(manifest)


def test_a_dangling_reference_is_caught() -> None:
    def mutate(m: dict[str, Any]) -> None:
        steps_of(templates(m)["features"])["total"]["when"] = "{{steps.nope.outputs.parameters.count}} > 0"

    assert any("steps.nope" in p for p in broken(mutate))


def test_a_missing_template_is_caught() -> None:
    def mutate(m: dict[str, Any]) -> None:
        steps_of(templates(m)["features"])["make"]["template"] = "missing"

    assert any("'missing' is not defined" in p for p in broken(mutate))


def test_a_duplicate_name_is_caught() -> None:
    def mutate(m: dict[str, Any]) -> None:
        m["spec"]["templates"].append(dict(m["spec"]["templates"][1]))

    assert any("not unique" in p for p in broken(mutate))


def test_a_misspelled_field_is_caught_by_the_schema() -> None:
    def mutate(m: dict[str, Any]) -> None:
        templates(m)["make"]["retryStrateggy"] = {"limit": "1"}

    assert any(p.startswith("schema v3.7") and "retryStrateggy" in p for p in broken(mutate))
