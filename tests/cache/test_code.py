"""What of an OP's code its cache key covers (``dflow_like.cache.code``)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dflow_like.cache.code import code_digest

OPS = """
import json
import numpy
import lib

from dflow_like.python import OP, OPIO, OPIOSign

SCALE = 2


class Scaled(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": float})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": float})

    def execute(self, op_in):
        # multiply
        return OPIO({"y": lib.helper(op_in["x"]) * SCALE})


@OP.function
def add_one(x: float) -> {"y": float}:
    return {"y": lib.other(x) + 1}
"""

LIB = """
def helper(x):
    return _inner(x)


def _inner(x):
    return x


def other(x):
    return x


def unused():
    return 0
"""


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "user_ops.py").write_text(OPS)
    (tmp_path / "lib.py").write_text(LIB)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in ("user_ops", "lib"):
        sys.modules.pop(name, None)


def _digests() -> tuple[str, str]:
    for name in ("user_ops", "lib"):
        sys.modules.pop(name, None)
    importlib.invalidate_caches()
    module = importlib.import_module("user_ops")
    return code_digest(module.Scaled), code_digest(type(module.add_one))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_what_the_op_reaches_counts_and_nothing_else(modules: Path) -> None:
    scaled, add_one = _digests()
    assert _digests() == (scaled, add_one)  # stable across imports
    _edit(modules / "lib.py", "def unused():\n    return 0", "def unused():\n    return 1  # edited")
    _edit(modules / "user_ops.py", "# multiply", "# multiply the value")
    assert _digests() == (scaled, add_one)
    _edit(modules / "lib.py", "def _inner(x):\n    return x", "def _inner(x):\n    return -x")  # helper's callee
    scaled2, add_one2 = _digests()
    assert scaled2 != scaled and add_one2 == add_one
    _edit(modules / "lib.py", "def other(x):\n    return x", "def other(x):\n    return 2 * x")
    assert _digests() == (scaled2, _digests()[1]) and _digests()[1] != add_one
    _edit(modules / "user_ops.py", "SCALE = 2", "SCALE = 3")  # a module constant it reads
    assert _digests()[0] != scaled2


def test_a_function_op_is_keyed_by_its_function(modules: Path) -> None:
    _, add_one = _digests()
    _edit(modules / "user_ops.py", 'return {"y": lib.other(x) + 1}', 'return {"y": lib.other(x) + 2}')
    assert _digests()[1] != add_one


def test_the_shipped_example_ops_count_as_the_users_code_and_libraries_do_not() -> None:
    import json as stdlib_json

    import numpy

    import dflow_like.ops._atoms as atoms
    from dflow_like.cache.code import _is_user_module

    assert _is_user_module(atoms)  # editing a helper of the EOS OPs re-runs their steps
    assert not _is_user_module(numpy) and not _is_user_module(stdlib_json)


def test_an_op_given_as_an_object_is_keyed_by_its_attributes_too() -> None:
    from dflow_like.cache.steps import code_digests
    from dflow_like.graph.collect import TemplateTable
    from dflow_like.python import OP, OPIO, OPIOSign, PythonOPTemplate

    class Threshold(OP):
        def __init__(self, limit: int) -> None:
            self.limit = limit

        @classmethod
        def get_input_sign(cls) -> OPIOSign:
            return OPIOSign({"x": int})

        @classmethod
        def get_output_sign(cls) -> OPIOSign:
            return OPIOSign({"ok": bool})

        def execute(self, op_in: OPIO) -> OPIO:
            return OPIO({"ok": op_in["x"] < self.limit})

    def digest(limit: int) -> str:
        template = PythonOPTemplate(Threshold(limit), cache=True)
        return code_digests(TemplateTable(template, None), False)["threshold"]

    assert digest(3) == digest(3) != digest(4)
