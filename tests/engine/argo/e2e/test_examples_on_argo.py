"""Every example program's workflow on the emulated Argo, step by step against the local engine.

Each example's ``build_workflow()`` runs twice, with artifacts in the same SeaweedFS bucket:
on the local engine and, through the real ``ArgoBackend`` (compile, schema and lint checks,
bundle upload), on :class:`~tests.engine.argo.e2e.controller.EmulatedArgo`. The runs must agree on
every OP step: phase, output parameters, artifact files. ``slurm_executor.py`` is refused
for Argo by design (a Slurm executor) and is checked to be refused.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import cloudpickle
import pytest
from ase.build import bulk
from ase.io import write

from dflow_like import ArtifactRef, Workflow, s3_config, upload_artifact
from dflow_like.artifacts import ArtifactPart, StoredTree
from dflow_like.graph.errors import DefinitionError

from .compare import differences
from .conftest import S3_SECRET
from .controller import EmulatedArgo
from .harness import on_argo, on_local

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"
pytestmark = pytest.mark.s3


def load_example(name: str) -> ModuleType:
    sys.path.insert(0, str(EXAMPLES))  # compile_to_argo imports its sibling eos
    try:
        spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(EXAMPLES))
    return module


def _structure(name: str) -> Any:
    atoms = bulk("Cu", "fcc", a=3.59, cubic=True)
    atoms.positions[1] += [0.15, -0.1, 0.05]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        write(path, atoms)
        return upload_artifact(path)


def _build(name: str, module: ModuleType, scratch: Path, run: str) -> Workflow:
    if name == "artifacts":
        return module.build_workflow(_structure("my_cu.extxyz"))  # type: ignore[no-any-return]
    if name == "s3_storage":
        return module.build_workflow(_structure("start.extxyz"))  # type: ignore[no-any-return]
    if name == "retries_timeouts":
        # Flaky and Broken count attempts in a directory every attempt sees: on Argo that is a
        # shared volume, never a pod's own /tmp; here a directory outside /tmp.
        counters = Path(tempfile.mkdtemp(prefix=f"counters-{run}-", dir="/var/tmp"))
        (scratch / "cleanup").mkdir(exist_ok=True)
        (scratch / "cleanup" / run).symlink_to(counters)
        return module.build_workflow(str(counters))  # type: ignore[no-any-return]
    return module.build_workflow()  # type: ignore[no-any-return]


def both(name: str, argo: EmulatedArgo, scratch: Path) -> tuple[Workflow, Workflow]:
    module = load_example(name)
    remote = _build(name, module, scratch, "argo")
    phase = on_argo(argo, remote)
    local = _build(name, module, scratch, "local")
    cloudpickle.register_pickle_by_value(module)  # the local engine process cannot import it by name
    cloudpickle.register_pickle_by_value(sys.modules.get("example_eos", module))
    assert on_local(local) == phase, f"argo {phase}: {remote.query_message()}\n{argo.logs(str(remote.id))[-3000:]}"
    return local, remote


EXPECTED = {
    "hello": "Succeeded",
    "diamond_dag": "Succeeded",
    "artifacts": "Succeeded",
    "slices": "Succeeded",
    "recursion": "Succeeded",
    "eos": "Succeeded",
    "retries_timeouts": "Succeeded",
    "s3_storage": "Succeeded",
}


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """``tmp_path``; directories linked from ``cleanup/`` (outside /tmp) are removed after."""
    yield tmp_path
    for link in (tmp_path / "cleanup").glob("*") if (tmp_path / "cleanup").is_dir() else []:
        shutil.rmtree(link.resolve(), ignore_errors=True)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_alike_on_argo(name: str, argo: EmulatedArgo, scratch: Path) -> None:
    tmp_path = scratch
    local, remote = both(name, argo, tmp_path)
    assert remote.query_status() == EXPECTED[name], argo.logs(str(remote.id))[-3000:]
    problems = differences(local, remote, tmp_path / "files")
    assert not problems, "\n".join(problems) + "\n" + argo.logs(str(remote.id))[-3000:]


def test_reuse_runs_alike_on_argo(argo: EmulatedArgo, tmp_path: Path) -> None:
    """``examples/reuse.py``: a second run reuses the first's keyed steps (their pods fetch the
    recorded files from S3 with credentials from a Secret, by reference)."""
    module = load_example("reuse")
    s3_config["secret_name"] = S3_SECRET
    first = module.build_workflow("sj")
    assert on_argo(argo, first) == "Succeeded", argo.logs(str(first.id))[-3000:]
    keep = [s for s in first.query_step() if s.key and s.key != "fit"]
    second = module.build_workflow("birchmurnaghan")
    assert on_argo(argo, second, reuse=keep) == "Succeeded", argo.logs(str(second.id))[-3000:]
    log = argo.logs(str(second.id))
    assert log.count("reusing the outputs of") == len(keep) == 14

    cloudpickle.register_pickle_by_value(module)
    s3_config["secret_name"] = None
    local_first = module.build_workflow("sj")
    assert on_local(local_first) == "Succeeded"
    local_keep = [s for s in local_first.query_step() if s.key and s.key != "fit"]
    local_second = module.build_workflow("birchmurnaghan")
    assert on_local(local_second, reuse=local_keep) == "Succeeded"
    problems = differences(local_second, second, tmp_path / "files")
    assert not problems, "\n".join(problems)


def test_reuse_without_s3_credentials_is_refused(argo: EmulatedArgo) -> None:
    module = load_example("hello")
    first = module.build_workflow()
    assert on_argo(argo, first) == "Succeeded"
    records = first.query_step(name="hello")
    records[0].key = "hello"
    records[0].outputs.artifacts["notes"] = ArtifactRef((ArtifactPart(StoredTree("s3", "some/key.tgz", "tar")),))
    with pytest.raises(DefinitionError, match=r"secret_name"):
        on_argo(argo, module.build_workflow(), reuse=records)


def test_compile_to_argo_is_the_eos_workflow() -> None:
    """``compile_to_argo.py`` compiles ``eos.py``'s workflow: it runs as the ``eos`` case above."""
    assert load_example("compile_to_argo").build_workflow().to_dict() == load_example("eos").build_workflow().to_dict()


def test_slurm_executor_is_refused_for_argo_naming_the_step() -> None:
    with pytest.raises(DefinitionError, match=r"step 'energy' .*DispatcherExecutor \(Slurm\) is not supported on Argo"):
        load_example("slurm_executor").build_workflow().to_dict()
