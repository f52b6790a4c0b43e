from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dflow_like.ops import ScaleLattice, read_structure
from dflow_like.python import OPIO, FatalError


def test_one_structure_per_scale_with_cubed_volumes(cu_file: Path) -> None:
    scales = [0.9, 1.0, 1.1]
    out = ScaleLattice().execute(OPIO({"structure": cu_file, "scales": scales}))
    assert [Path(p).name for p in out["structures"]] == [
        "0000.extxyz",
        "0001.extxyz",
        "0002.extxyz",
    ]
    assert out["scales"] == scales
    assert out["volumes"] == pytest.approx([(3.6 * s) ** 3 for s in scales], rel=1e-12)
    for path, s in zip(out["structures"], scales):
        atoms = read_structure(path)
        assert atoms.cell.lengths() == pytest.approx([3.6 * s] * 3, rel=1e-12)
        # atoms move with the cell: fractional coordinates are unchanged
        assert atoms.get_scaled_positions() == pytest.approx(
            np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]]), abs=1e-8
        )


@pytest.mark.parametrize("scales", [[], [1.0, -0.5]])
def test_empty_or_negative_scales_are_fatal(cu_file: Path, scales: list[float]) -> None:
    with pytest.raises(FatalError, match="positive"):
        ScaleLattice().execute(OPIO({"structure": cu_file, "scales": scales}))
