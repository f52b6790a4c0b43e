"""Pods whose image states another Python than the submitter's are refused at submit."""

from __future__ import annotations

import sys

import pytest

from dflow_like import Step, Workflow
from dflow_like.engine.argo.backend import ArgoBackend
from dflow_like.engine.argo.compile.errors import CompileError
from dflow_like.engine.argo.compile.pyversion import image_python
from dflow_like.python import OP, OPIO, OPIOSign, PythonOPTemplate


class Echo(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"x": op_in["x"]})


def _workflow(image: str) -> Workflow:
    wf = Workflow(name="pyver")
    wf.add(Step("echo", PythonOPTemplate(Echo, image=image), parameters={"x": 1}))
    return wf


@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("python:3.8", (3, 8)),
        ("python:3.11-slim", (3, 11)),
        ("docker.io/library/python:3.12.1", (3, 12)),
        ("dflow-like/chem:py3.11", (3, 11)),
        ("registry/deepmd-kit:2.2.7", None),
        ("ubuntu:22.04", None),
    ],
)
def test_image_python_reads_the_version_an_image_name_states(image: str, version: tuple[int, int] | None) -> None:
    assert image_python(image) == version


def test_an_image_with_another_python_is_refused_naming_it() -> None:
    with pytest.raises(CompileError, match=r"template 'echo': image 'python:3\.8' runs Python 3\.8") as err:
        ArgoBackend(client=object()).manifest(_workflow("python:3.8"), "pyver-abcde")  # type: ignore[arg-type]
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert f"'python:{here}'" in str(err.value)


def test_the_submitters_python_and_unknown_images_pass() -> None:
    here = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for image in (f"python:{here}", "my-registry/custom:latest"):
        manifest, _ = ArgoBackend(client=object()).manifest(_workflow(image), "pyver-abcde")  # type: ignore[arg-type]
        assert manifest["metadata"]["name"] == "pyver-abcde"
