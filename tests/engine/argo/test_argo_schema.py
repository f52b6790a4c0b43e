from __future__ import annotations

import configparser
import gzip
import hashlib
import re
from pathlib import Path

import pytest

import dflow_like
from dflow_like import Step, Workflow
from dflow_like.engine.argo.schema import (
    SchemaReport,
    SchemaSkippedWarning,
    SchemaUnavailableError,
    check_manifest_schema,
    schema_dir,
    validate_manifest,
)
from dflow_like.python import PythonOPTemplate

from .compile.ops import Double
from .manifests import dag_workflow, steps_workflow

ROOT = Path(__file__).resolve().parents[3]

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


def test_schemas_ship_inside_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain install validates: the schemas are package data, not a folder beside the clone."""
    monkeypatch.delenv("DFLOW_LIKE_ARGO_SCHEMA_DIR", raising=False)
    package = Path(dflow_like.__file__).resolve().parent
    assert schema_dir().is_relative_to(package)
    for version in ("v3.7", "v4"):
        assert check_manifest_schema(steps_workflow(), version) == SchemaReport([], None)


def test_shipped_schemas_are_the_published_ones() -> None:
    """Each file decompresses to the sha256 its provenance README records (Argo's schema.json)."""
    readme = (schema_dir() / "README.md").read_text()
    recorded = dict(re.findall(r"^\| (argo-v\S+\.schema\.json\.gz) +\|.*\| ([0-9a-f]{64}) \|$", readme, re.M))
    files = sorted(p.name for p in schema_dir().glob("argo-v*.schema.json.gz"))
    assert files == sorted(recorded) and len(files) == 2
    for name in files:
        digest = hashlib.sha256(gzip.decompress((schema_dir() / name).read_bytes())).hexdigest()
        assert digest == recorded[name], name


def test_setup_cfg_lists_the_schemas_as_package_data() -> None:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    patterns = cfg["options.package_data"]["dflow_like.engine.argo"].replace(",", " ").split()
    base = ROOT / "dflow_like" / "engine" / "argo"
    shipped = {str(p.relative_to(base)) for pattern in patterns for p in base.glob(pattern)}
    on_disk = {str(p.relative_to(base)) for p in (base / "schemas").iterdir()}
    assert on_disk == shipped


def test_lint_refuses_instead_of_skipping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty lint answer means "valid", never "could not check"."""
    monkeypatch.setenv("DFLOW_LIKE_ARGO_SCHEMA_DIR", str(tmp_path))
    workflow = Workflow("lint-me")
    workflow.add(Step("double", PythonOPTemplate(Double), parameters={"x": 1}))
    with pytest.raises(SchemaUnavailableError, match=f"cannot lint the Argo manifest: .*{tmp_path}"):
        workflow.lint()


def test_no_test_or_module_reads_outside_the_repository() -> None:
    """A fresh clone has no ``shared/`` folder beside it: nothing may look there."""
    needle = "shared" + "/argo-schema"
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("dflow_like", "tests", "examples", "bench", "ops")
        for path in (ROOT / folder).rglob("*.py")
        if needle in path.read_text() or "../" + "shared" in path.read_text()
    ]
    assert offenders == []
