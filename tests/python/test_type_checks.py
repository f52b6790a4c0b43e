"""Signature checks: the builtin-type fast path agrees with typeguard on every case.

The runner checks common parameter types without importing typeguard (so a step's
process stays small); these tests pin that it accepts and rejects exactly what
typeguard does, and that a rejection still carries typeguard's explanation.
"""

# ruff: noqa: UP006, UP007, UP035, UP045 - the typing spellings users write are part of what is checked
from __future__ import annotations

import subprocess
import sys
from typing import Any, Dict, List, Optional, Tuple, Union

import pytest
from typeguard import CollectionCheckStrategy, TypeCheckError, check_type

from dflow_like.python import OPIOSign, SignatureError
from dflow_like.python.checks import check_opio, needs_typeguard

TYPES: list[Any] = [
    int, float, complex, bool, str, bytes, list, dict, tuple, type(None), Any,
    list[int], List[str], dict[str, int], Dict[str, float], tuple[int, ...], tuple[int, str], Tuple[()],
    Optional[int], Union[int, str], int | None, list[dict[str, list[float]]], set[int], frozenset[str],
]  # fmt: skip
VALUES: list[Any] = [
    0, 1, True, 1.5, 2j, "a", b"x", None, [], [1, 2], [1, "a"], ["a"], {}, {"a": 1}, {"a": 1.5}, {1: 1},
    (), (1,), (1, "a"), (1, 2, 3), {1, 2}, frozenset({"a"}), [{"a": [1.0, 2]}], [{"a": ["x"]}],
]  # fmt: skip


def _typeguard_accepts(value: Any, tp: Any) -> bool:
    try:
        check_type(value, tp, collection_check_strategy=CollectionCheckStrategy.ALL_ITEMS)
    except TypeCheckError:
        return False
    return True


@pytest.mark.parametrize("tp", TYPES, ids=repr)
def test_check_agrees_with_typeguard(tp: Any) -> None:
    for value in VALUES:
        expected = _typeguard_accepts(value, tp)
        try:
            check_opio("OP Probe", {"x": value}, OPIOSign({"x": tp}), is_input=True)
            accepted = True
        except SignatureError as exc:
            accepted = False
            assert "input parameter 'x'" in str(exc)
            assert "(" in str(exc), "the message keeps typeguard's explanation"
        assert accepted == expected, f"{value!r} as {tp!r}: typeguard says {expected}"


def test_builtin_signatures_do_not_need_typeguard() -> None:
    assert not needs_typeguard(OPIOSign({"x": int, "y": dict[str, list[float]], "z": Optional[str]}))

    class Point:
        pass

    assert needs_typeguard(OPIOSign({"p": Point}))


def test_a_builtin_step_never_imports_typeguard() -> None:
    """A checked run of an int -> int OP leaves typeguard unimported (~40 ms, ~8 MB saved)."""
    code = (
        "import sys\n"
        "from dflow_like.python import OP\n"
        "@OP.function\n"
        "def sq(x: int) -> {'y': int}:\n"
        "    return {'y': x * x}\n"
        "assert sq.execute({'x': 3}) == {'y': 9}\n"
        "print('typeguard' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
