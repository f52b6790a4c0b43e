from __future__ import annotations

from typing import Any

import pytest

from dflow_like.engine.argo.lint import lint_manifest

from .manifests import dag_workflow, steps_workflow


def _templates(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in manifest["spec"]["templates"]}


def _task(manifest: dict[str, Any], name: str) -> dict[str, Any]:
    tasks = _templates(manifest)["diamond"]["dag"]["tasks"]
    return next(t for t in tasks if t["name"] == name)


def test_valid_manifests_are_clean() -> None:
    assert lint_manifest(steps_workflow()) == []
    assert lint_manifest(dag_workflow()) == []


def test_dangling_step_output_reference() -> None:
    manifest = steps_workflow()
    use = _templates(manifest)["main"]["steps"][1][0]
    use["arguments"]["parameters"][0]["value"] = "{{steps.make.outputs.parameters.nope}}"
    assert lint_manifest(manifest) == [
        "template 'main', step 'use': {{steps.make.outputs.parameters.nope}} does not resolve: "
        "step 'make' has no such output"
    ]


def test_reference_inside_an_expression() -> None:
    manifest = steps_workflow()
    use = _templates(manifest)["main"]["steps"][1][0]
    use["arguments"]["parameters"][1]["value"] = "{{=steps['make'].outputs.parameters['out2']}}"
    (problem,) = lint_manifest(manifest)
    assert "step 'use'" in problem and "outputs.parameters['out2']" in problem


def test_missing_input_reference_and_expression_field() -> None:
    manifest = dag_workflow()
    echo = _templates(manifest)["echo"]
    echo["container"]["args"] = ["{{inputs.parameters.mm}}", "{{=asInt(inputs.parameters.m) + 1}}"]
    assert lint_manifest(manifest) == [
        "template 'echo': {{inputs.parameters.mm}} does not resolve: the template declares no such input"
    ]


def test_missing_template_and_entrypoint() -> None:
    manifest = dag_workflow()
    _task(manifest, "B")["template"] = "ecko"
    manifest["spec"]["onExit"] = "cleanup"
    problems = lint_manifest(manifest)
    assert any(p.startswith("template 'diamond', task 'B': template 'ecko' is not defined") for p in problems)
    assert any(p.startswith("spec.onExit: template 'cleanup' is not defined") for p in problems)
    manifest["spec"]["entrypoint"] = "nope"
    assert any(p.startswith("spec.entrypoint: template 'nope'") for p in lint_manifest(manifest))


def test_duplicate_names() -> None:
    manifest = dag_workflow()
    manifest["spec"]["templates"].append(dict(_templates(manifest)["echo"]))
    _task(manifest, "C")["name"] = "B"
    problems = lint_manifest(manifest)
    assert "template 'echo': template name is not unique" in problems
    assert "template 'diamond': task name 'B' is not unique" in problems


@pytest.mark.parametrize(
    ("where", "name", "expected"),
    [
        ("template", "Bad_Name", "template name 'Bad_Name' is invalid"),
        ("step", "-make", "step name '-make' is invalid"),
        ("param", "a.b", "name 'a.b' is invalid"),
        ("workflow", "Hello_World", "'Hello_World' is not a valid Kubernetes name"),
        ("generate", "x" * 60 + "-", "is longer than 58 characters"),
    ],
)
def test_bad_names(where: str, name: str, expected: str) -> None:
    manifest = steps_workflow()
    templates = manifest["spec"]["templates"]
    if where == "template":
        templates[2]["name"] = name
        templates[0]["steps"][1][0]["template"] = name
    elif where == "step":
        templates[0]["steps"][0][0]["name"] = name
    elif where == "param":
        templates[2]["inputs"]["parameters"].append({"name": name, "value": "1"})
    elif where == "workflow":
        manifest["metadata"] = {"name": name}
    else:
        manifest["metadata"] = {"generateName": name}
    assert any(expected in p for p in lint_manifest(manifest)), lint_manifest(manifest)


def test_dag_cycle_and_unknown_dependency() -> None:
    manifest = dag_workflow()
    _task(manifest, "A")["depends"] = "D"
    _task(manifest, "B")["depends"] = "A && Z.Failed"
    problems = lint_manifest(manifest)
    assert "template 'diamond', task 'B': depends on task 'Z', which is not defined" in problems
    assert any(p.startswith("template 'diamond': dependency cycle: ") for p in problems)


def test_item_without_loop() -> None:
    manifest = steps_workflow()
    make = _templates(manifest)["main"]["steps"][0][0]
    make["arguments"]["parameters"][0]["value"] = "{{item}}"
    assert lint_manifest(manifest) == [
        "template 'main', step 'make': {{item}} does not resolve: 'item' exists only on a "
        "step or task with withItems/withParam/withSequence"
    ]


def test_item_key_not_in_with_items() -> None:
    manifest = steps_workflow()
    use = _templates(manifest)["main"]["steps"][1][0]
    use["arguments"]["parameters"][0]["value"] = "{{item.m}}"
    assert "the withItems entries have no such key" in lint_manifest(manifest)[0]


def test_same_stage_and_non_ancestor_references() -> None:
    manifest = steps_workflow()
    steps = _templates(manifest)["main"]["steps"]
    peer_args = {"parameters": [{"name": "msg", "value": "{{steps.make.outputs.result}}"}]}
    steps[0].append({"name": "peer", "template": "make", "arguments": peer_args})
    assert "no step 'make' in an earlier stage" in lint_manifest(manifest)[0]
    dag = dag_workflow()
    _task(dag, "B")["arguments"]["parameters"][0]["value"] = "{{tasks.C.outputs.parameters.o}}"
    assert "is not a dependency" in lint_manifest(dag)[0]


def test_workflow_variables_and_retry_variables() -> None:
    manifest = steps_workflow()
    make = _templates(manifest)["make"]
    make["script"]["source"] = "{{workflow.parameters.nope}} {{workflow.name}} {{lastRetry.exitCode}}"
    manifest["spec"]["templates"][2]["container"]["args"] = [
        "{{retries}}",
        "{{workflow.labels.team}}",
    ]
    assert lint_manifest(manifest) == [
        "template 'make': {{workflow.parameters.nope}} does not resolve: not declared in spec.arguments.parameters",
        "template 'use': {{retries}} does not resolve: only templates with a retryStrategy have it",
    ]


def test_missing_required_argument_and_template_type() -> None:
    manifest = dag_workflow()
    del _task(manifest, "A")["arguments"]
    _templates(manifest)["echo"]["script"] = {"image": "python", "source": "print(1)"}
    problems = lint_manifest(manifest)
    assert "template 'diamond', task 'A': does not pass input parameter 'm' required by template 'echo'" in problems
    assert any(p.startswith("template 'echo': needs exactly one template type") for p in problems)


def test_leaf_only_fields() -> None:
    manifest = dag_workflow()
    _templates(manifest)["diamond"]["timeout"] = "10"
    _templates(manifest)["echo"]["parallelism"] = 2
    problems = lint_manifest(manifest)
    assert "template 'diamond': dag templates do not support 'timeout'" in problems
    assert "template 'diamond': timeout '10' needs a unit (e.g. '10s')" in problems
    assert "template 'echo': parallelism is only valid for steps and dag templates" in problems
