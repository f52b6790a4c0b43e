"""Go text forms used when rendering expression results."""

from __future__ import annotations

import pytest

from dflow_like.expr._gofmt import go_json, go_str


@pytest.mark.parametrize(
    ("value", "v", "js"),
    [
        (6.0, "6", "6"),
        (1.5, "1.5", "1.5"),
        (1e6, "1e+06", "1000000"),
        (123456.0, "123456", "123456"),
        (1e-5, "1e-05", "0.00001"),
        (1.5e-7, "1.5e-07", "1.5e-7"),
        (1e21, "1e+21", "1e+21"),
        (-0.0, "-0", "-0"),
        (3, "3", "3"),
        (True, "true", "true"),
        (None, "<nil>", "null"),
    ],
)
def test_scalars(value: object, v: str, js: str) -> None:
    assert go_str(value) == v
    assert go_json(value) == js


def test_containers() -> None:
    assert go_json({"b": [1, 2.0], "a": "<&>"}) == '{"a":"\\u003c\\u0026\\u003e","b":[1,2]}'
    assert go_str({"b": [1, 2.0], "a": None}) == "map[a:<nil> b:[1 2]]"
    with pytest.raises(ValueError, match="unsupported value"):
        go_json(float("inf"))
