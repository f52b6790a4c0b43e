"""Wire values decoded against the consumer's sign (``values.decode_for_sign``)."""

from __future__ import annotations

from typing import Any

import pytest

from dflow_like._values import decode_for_sign


@pytest.mark.parametrize(
    ("raw", "declared", "expected"),
    [
        ('["40.5","41"]', list[float], [40.5, 41]),  # Argo's aggregation of scalar outputs
        ("[40.5,41]", list[float], [40.5, 41]),  # the local engine's
        ('["1","2"]', list[str], ["1", "2"]),
        ('["1","2"]', list, ["1", "2"]),
        ('["a b",2]', list[Any], ["a b", 2]),
        ('["[1,2]","[3]"]', list[list[int]], [[1, 2], [3]]),
        ("7", int, 7),
        ("7", str, "7"),
    ],
)
def test_aggregated_strings_become_the_declared_elements(raw: str, declared: Any, expected: Any) -> None:
    assert decode_for_sign(raw, declared) == expected
