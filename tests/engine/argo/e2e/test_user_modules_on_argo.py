"""An OP module's own imports from beside it reach Argo pods (issue 12, item 1 on Argo)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from dflow_like import Step, Workflow
from dflow_like.python import PythonOPTemplate

from .controller import EmulatedArgo
from .harness import on_argo

pytestmark = pytest.mark.s3

HELPERS = "def double(x: int) -> int:\n    return 2 * x\n"
OPS = """
from typing import TypedDict

from argo_helpers_x import double
from dflow_like.python import OP


class Out(TypedDict):
    y: int


@OP.function
def twice(x: int) -> Out:
    return {"y": double(x)}
"""


@pytest.fixture
def user_ops(tmp_path: Path) -> Iterator[ModuleType]:
    """``argo_ops_x`` importing ``argo_helpers_x``, both in a directory of the user's."""
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "argo_helpers_x.py").write_text(HELPERS)
    (tmp_path / "project" / "argo_ops_x.py").write_text(OPS)
    sys.path.insert(0, str(tmp_path / "project"))
    try:
        yield importlib.import_module("argo_ops_x")
    finally:
        sys.path.remove(str(tmp_path / "project"))
        for name in ("argo_ops_x", "argo_helpers_x"):
            sys.modules.pop(name, None)


def test_a_helper_module_beside_the_op_module_travels_in_the_bundle(argo: EmulatedArgo, user_ops: ModuleType) -> None:
    wf = Workflow(name="helpers")
    wf.add(Step("twice", PythonOPTemplate(user_ops.twice, image="python:3.11"), parameters={"x": 21}))
    assert on_argo(argo, wf) == "Succeeded", argo.logs(str(wf.id))
    assert wf.query_step(name="twice")[0].outputs.parameters["y"].value == 42
