"""The installed package is what the repository holds, and its public surface is deliberate."""

from __future__ import annotations

import configparser
from pathlib import Path

import dflow_like
import dflow_like.python

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_directory_is_listed_in_setup_cfg() -> None:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    listed = set(cfg["options"]["packages"].split())
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "dflow_like").rglob("__init__.py")
        if "ops" not in p.relative_to(ROOT).parts
    }
    on_disk |= {
        "dflow_like.ops." + ".".join(p.parent.relative_to(ROOT / "ops").parts)
        for p in (ROOT / "ops").rglob("__init__.py")
    }
    on_disk = {name.rstrip(".") for name in on_disk}
    assert on_disk <= listed, f"add to setup.cfg [options] packages: {sorted(on_disk - listed)}"


def test_public_surface_is_what_dflow_programs_import() -> None:
    dflow_names = {
        "Workflow", "Step", "Steps", "DAG", "Task", "Inputs", "Outputs", "InputParameter", "InputArtifact",
        "OutputParameter", "OutputArtifact", "argo_range", "argo_len", "argo_sequence", "argo_enumerate",
        "argo_sum", "argo_concat", "if_expression", "upload_artifact", "download_artifact", "config",
        "s3_config", "set_config", "set_s3_config", "ShellOPTemplate", "PythonScriptOPTemplate",
        "DispatcherExecutor", "SlurmRemoteExecutor", "SlurmJobTemplate",
    }  # fmt: skip
    assert dflow_names <= set(dflow_like.__all__)
    python_names = {"OP", "OPIO", "OPIOSign", "Artifact", "Parameter", "BigParameter", "PythonOPTemplate",
                    "Slices", "TransientError", "FatalError", "upload_packages"}  # fmt: skip
    assert python_names <= set(dflow_like.python.__all__)
    for module in (dflow_like, dflow_like.python):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.__all__ names {name!r}, which it lacks"


# The whole public surface, pinned: a name added to (or dropped from) ``__all__`` is a
# deliberate change of the API, made here too.
PUBLIC = {
    "DAG", "PVC", "ArtifactRef", "DefinitionError", "DispatcherExecutor", "InputArtifact", "InputParameter",
    "Inputs", "OPTemplate", "OutputArtifact", "OutputParameter", "Outputs", "PythonScriptOPTemplate",
    "ShellOPTemplate", "SlurmJobTemplate", "SlurmRemoteExecutor", "Step", "StepRecord", "Steps", "Task",
    "Workflow", "argo_concat", "argo_enumerate",
    "argo_len", "argo_range", "argo_sequence", "argo_sum", "config", "copy_artifact", "download_artifact",
    "if_expression", "list_workflows", "path_list_of_artifact", "path_object_of_artifact", "randstr",
    "s3_config", "set_config", "set_s3_config", "upload_artifact",
}  # fmt: skip
PUBLIC_PYTHON = {
    "OP", "OPIO", "Artifact", "BigParameter", "FatalError", "OPIOSign", "Parameter", "PythonOPTemplate",
    "SignatureError", "Slices", "TransientError", "upload_packages",
}  # fmt: skip


def test_public_surface_is_exactly_the_pinned_one() -> None:
    assert set(dflow_like.__all__) == PUBLIC
    assert set(dflow_like.python.__all__) == PUBLIC_PYTHON
    assert len(dflow_like.__all__) == len(PUBLIC) and len(dflow_like.python.__all__) == len(PUBLIC_PYTHON)  # no repeats
