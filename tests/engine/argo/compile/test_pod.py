"""``runner/pod.py`` for real: a subprocess on a directory laid out like a pod's ``/tmp``.

The pods run the system ``python3`` (no jsonpickle, no dflow_like installed) with only
the bundle on its path: what a stock ``python:3.11`` image does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dflow_like.engine.argo.bundle import build_bundle
from dflow_like.engine.argo.compile import CompileOptions, compile_with_templates
from tests.requires import unavailable

from .ops import features_workflow

STOCK_PYTHON = next((p for p in ("/usr/bin/python3.11", "/usr/bin/python3") if os.path.exists(p)), sys.executable)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, templates = compile_with_templates(features_workflow(), CompileOptions())
    return build_bundle(tmp_path_factory.mktemp("bundle"), templates)


def run_pod(root: Path, bundle: Path, template: str, params: dict[str, str]) -> subprocess.CompletedProcess[str]:
    target = root / "tmp" / "dflow_like" / "bundle"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.symlink_to(bundle)
    env = {"PATH": os.environ.get("PATH", ""), "DFLOW_LIKE_POD_ROOT": str(root), "PYTHONPATH": str(target / "lib")}
    env.update({f"DFLOW_LIKE_PARAM_{k}": v for k, v in params.items()})
    return subprocess.run(
        [STOCK_PYTHON, "-s", "-m", "dflow_like.runner.pod", template],
        env=env, cwd=root, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_stock_python_lacks_the_dependencies() -> None:
    if sys.executable == STOCK_PYTHON:
        unavailable("no system python3 (/usr/bin/python3): the pods would run the venv's python")
    probe = subprocess.run([STOCK_PYTHON, "-s", "-c", "import dflow_like"], capture_output=True, check=False)
    assert probe.returncode != 0


def test_bundle_holds_the_package_and_its_dependencies(bundle: Path) -> None:
    lib = {p.name for p in (bundle / "lib").iterdir()}
    assert {"dflow_like", "jsonpickle", "typeguard", "cloudpickle", "typing_extensions.py"} <= lib
    assert (bundle / "templates.pkl").stat().st_size > 0
    assert json.loads((bundle / "reuse.json").read_text()) == {}


def test_bundle_holds_subpackages_mapped_elsewhere(tmp_path: Path) -> None:
    """``dflow_like.ops`` lives in ``ops/`` (``package_dir``): under an editable install the
    ``dflow_like`` folder lacks it, so the bundle is built from what Python imports."""
    import dflow_like.ops

    _, templates = compile_with_templates(features_workflow(), CompileOptions())
    lib = build_bundle(tmp_path / "b", templates) / "lib"
    assert (lib / "dflow_like" / "ops" / "__init__.py").read_text() == Path(str(dflow_like.ops.__file__)).read_text()
    assert (lib / "dflow_like" / "ops" / "relax.py").is_file()


def test_a_list_artifact_keeps_its_layout(tmp_path: Path, bundle: Path) -> None:
    done = run_pod(tmp_path, bundle, "make", {"n": "3", "dflow_key": ""})
    assert done.returncode == 0, done.stderr
    out = tmp_path / "tmp" / "outputs"
    assert (out / "parameters" / "count").read_text() == "3"
    meta = json.loads((out / "artifacts" / "files" / ".dflow_like.json").read_text())
    assert meta["layout"] == ["f0.txt", "f1.txt", "f2.txt"]
    assert (out / "artifacts" / "files" / "f2.txt").read_text() == "file 2\n"
    assert json.loads((out / "parameters" / "dflow_layouts").read_text()) == {"files": meta["layout"]}
    assert (out / "parameters" / "dflow_success").read_text() == "1"  # what success thresholds count


def test_slice_items_fan_in_to_a_consumer(tmp_path: Path, bundle: Path) -> None:
    consumer = tmp_path / "total"
    for item in range(3):
        root = tmp_path / f"item{item}"
        params = {"x": "[1,2,3]", "dflow_slice": str(item), "dflow_sliced": '{"parameters":["x"],"artifacts":[]}'}
        done = run_pod(root, bundle, "double-items", params)
        assert done.returncode == 0, done.stderr
        assert (root / "tmp/outputs/parameters/y").read_text() == str(2 * (item + 1))
        # Argo stores each item under <group>/out/<item>; the consumer gets the prefix
        shutil.copytree(root / "tmp/outputs/artifacts/out", consumer / f"tmp/inputs/artifacts/outs/{item}")
    done = run_pod(consumer, bundle, "total", {"ys": "[2,4,6]"})
    assert done.returncode == 0, done.stderr
    assert (consumer / "tmp/outputs/parameters/total").read_text() == "12"
    assert (consumer / "tmp/outputs/parameters/text").read_text() == "2\n4\n6\n"


def test_a_failing_op_exits_with_the_runner_code(tmp_path: Path, bundle: Path) -> None:
    done = run_pod(tmp_path, bundle, "make", {"n": "not-a-number"})
    assert done.returncode == 1
    assert "n" in done.stderr
    assert not (tmp_path / "tmp/outputs/parameters/dflow_success").exists()  # Argo's default: 0


def test_a_reused_key_publishes_recorded_outputs(tmp_path: Path) -> None:
    from dflow_like.records import IORecord, ParameterRecord, StepRecord

    _, templates = compile_with_templates(features_workflow(), CompileOptions())
    record = StepRecord("n1", "make", "old-run", key="make-1")
    record.outputs = IORecord({"count": ParameterRecord("count", "7")}, {})
    record.modify_output_parameter("count", 9)
    bundle = build_bundle(tmp_path / "bundle", templates, [record])
    root = tmp_path / "pod"
    done = run_pod(root, bundle, "make", {"n": "3", "dflow_key": "make-1"})
    assert done.returncode == 0, done.stderr
    assert (root / "tmp/outputs/parameters/count").read_text() == "9"
    assert not (root / "tmp/outputs/artifacts/files").exists()  # the OP did not run
