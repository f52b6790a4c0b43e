from __future__ import annotations

from pathlib import Path

import pytest

from dflow_like.engine.argo.schema import (
    SchemaSkippedWarning,
    check_manifest_schema,
    validate_manifest,
)

from .manifests import dag_workflow, steps_workflow

VERSIONS = ["v3.7", "v4"]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("make", [steps_workflow, dag_workflow])
def test_valid_manifests_pass(schemas: Path, version: str, make: object) -> None:
    assert callable(make)
    assert validate_manifest(make(), version) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_misspelled_key_is_named_with_a_suggestion(schemas: Path, version: str) -> None:
    manifest = steps_workflow()
    manifest["spec"]["templates"][2]["container"]["imagePullPolicyy"] = "Always"
    problems = validate_manifest(manifest, version)
    assert len(problems) == 1
    assert problems[0].startswith("$.spec.templates[2].container: unknown key 'imagePullPolicyy'")
    assert "did you mean 'imagePullPolicy'" in problems[0]


@pytest.mark.parametrize("version", VERSIONS)
def test_wrong_type_names_path_expected_and_actual(schemas: Path, version: str) -> None:
    manifest = dag_workflow()
    manifest["spec"]["parallelism"] = "4"
    manifest["spec"]["templates"][1]["container"]["command"] = "echo hi"
    problems = validate_manifest(manifest, version)
    assert '$.spec.parallelism: expected integer, got string "4"' in problems
    assert '$.spec.templates[1].container.command: expected array, got string "echo hi"' in problems


def test_int_or_string_and_numeric_values_are_accepted(schemas: Path) -> None:
    manifest = steps_workflow()
    template = manifest["spec"]["templates"][1]
    template["retryStrategy"]["limit"] = "3"  # strings stay valid too
    template["inputs"]["parameters"][0]["default"] = 5  # AnyString
    template["activeDeadlineSeconds"] = 30
    assert validate_manifest(manifest) == []


def test_missing_required_key_and_wrong_kind(schemas: Path) -> None:
    manifest = dag_workflow()
    del manifest["spec"]["templates"][1]["inputs"]["parameters"][0]["name"]
    assert validate_manifest(manifest) == ["$.spec.templates[1].inputs.parameters[0]: missing required key 'name'"]
    assert validate_manifest({**manifest, "kind": "Workflo"})[0].startswith("$.kind: expected one of")


def test_absent_schemas_skip_with_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DFLOW_LIKE_ARGO_SCHEMA_DIR", str(tmp_path))
    report = check_manifest_schema(steps_workflow())
    assert report.problems == [] and report.skipped and str(tmp_path) in report.skipped
    with pytest.warns(SchemaSkippedWarning, match="skipped"):
        assert validate_manifest(steps_workflow(), "v4") == []


def test_env_override_is_used(schemas: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DFLOW_LIKE_ARGO_SCHEMA_DIR", str(schemas))
    assert check_manifest_schema(dag_workflow(), "v4.1").skipped is None
