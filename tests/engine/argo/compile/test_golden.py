"""Golden manifests: ``examples/<name>.argo.yaml`` is what ``examples/<name>.py`` compiles to.

An example takes part by defining ``build_workflow() -> Workflow``. The comparison is
on the parsed YAML (formatting does not matter). ``DFLOW_LIKE_REGEN_GOLDEN=1``
rewrites the files; CI never sets it. Every golden manifest must pass schema + lint.
An example Argo cannot run (``REJECTED``) has no golden file: the compiler must refuse
it with a message naming the step instead.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from dflow_like.engine.argo.compile import CompileError, CompileOptions, compile_workflow
from dflow_like.engine.argo.compile.check import manifest_problems, to_yaml

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"
REGEN = os.environ.get("DFLOW_LIKE_REGEN_GOLDEN") == "1"
if REGEN and os.environ.get("CI", "").lower() == "true":  # a regenerating run compares nothing
    raise RuntimeError(
        "DFLOW_LIKE_REGEN_GOLDEN=1 under CI=true: the golden test would compare manifests with themselves"
    )
REJECTED = {  # example -> what the CompileError must say
    "slurm_executor": r"step 'energy' .*executor=DispatcherExecutor \(Slurm\) is not supported on Argo",
}


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_example_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # annotations are resolved through sys.modules
    spec.loader.exec_module(module)
    return module


def _examples() -> list[Path]:
    return sorted(p for p in EXAMPLES.glob("*.py") if "def build_workflow(" in p.read_text())


def compiled(path: Path) -> dict[str, Any]:
    workflow = _load(path).build_workflow()
    workflow.validate()
    return compile_workflow(workflow, CompileOptions())  # settings-independent


@pytest.mark.parametrize("path", _examples(), ids=lambda p: p.stem)
def test_example_matches_its_golden_manifest(path: Path) -> None:
    golden = path.with_suffix(".argo.yaml")
    if path.stem in REJECTED:
        with pytest.raises(CompileError, match=REJECTED[path.stem]):
            compiled(path)
        assert not golden.exists(), f"{golden.name}: {path.name} cannot compile for Argo"
        return
    manifest = compiled(path)
    if REGEN:
        golden.write_text(to_yaml(manifest))
    assert golden.exists(), f"{golden.name} is missing: run with DFLOW_LIKE_REGEN_GOLDEN=1"
    assert yaml.safe_load(golden.read_text()) == manifest, f"{golden.name} differs: regenerate and review the diff"


@pytest.mark.parametrize("golden", sorted(EXAMPLES.glob("*.argo.yaml")), ids=lambda p: p.name)
def test_golden_manifest_is_valid(golden: Path) -> None:
    assert manifest_problems(yaml.safe_load(golden.read_text())) == []
