from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from dflow_like.ops import FitEOS, PlotEOS
from dflow_like.python import OPIO, FatalError


def test_writes_a_png_with_points_and_curve() -> None:
    volumes = [float(v) for v in np.linspace(40, 54, 9)]
    energies = [0.002 * (v - 46.3) ** 2 - 0.027 for v in volumes]
    out = PlotEOS().execute(OPIO({"volumes": volumes, "energies": energies, "title": "Cu"}))
    png = Path(out["plot"])
    assert png.name == "eos.png" and png.is_file()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = imread(png)
    assert image.shape[:2] == (450, 600)  # 6 x 4.5 in at 100 dpi
    # not a blank canvas: the red fit curve (C3) and blue points (C0) are drawn
    rgb = image[..., :3]
    red = (rgb[..., 0] > 0.7) & (rgb[..., 1] < 0.3) & (rgb[..., 2] < 0.3)
    blue = (rgb[..., 2] > 0.6) & (rgb[..., 0] < 0.3)
    assert red.sum() > 200 and blue.sum() > 200


def test_filename_can_be_in_a_subdirectory() -> None:
    volumes = [float(v) for v in np.linspace(40, 54, 7)]
    energies = [0.002 * (v - 46.3) ** 2 for v in volumes]
    out = PlotEOS().execute(OPIO({"volumes": volumes, "energies": energies, "filename": "plots/cu.png"}))
    assert Path(out["plot"]) == Path("plots/cu.png") and Path("plots/cu.png").stat().st_size > 10_000


def _scan() -> tuple[list[float], list[float]]:
    volumes = [float(v) for v in np.linspace(40, 54, 9)]
    return volumes, [0.002 * (v - 46.3) ** 2 - 0.027 for v in volumes]


def _fit(volumes: list[float], energies: list[float]) -> dict[str, object]:
    out = FitEOS().execute(OPIO({"volumes": volumes, "energies": energies}))
    return {name: out[name] for name in ("curve_volumes", "curve_energies", "v0", "bulk_modulus_gpa")}


_GIVEN_FIT = """
import json, sys
from dflow_like.ops import PlotEOS
from dflow_like.python import OPIO
PlotEOS().execute(OPIO(json.loads(sys.argv[1])))
print("scipy" in sys.modules, "ase.eos" in sys.modules)
"""


def test_a_given_fit_is_drawn_without_fitting_again(tmp_path: Path) -> None:
    """The EOS example's plot step draws FitEOS's curve: it needs matplotlib, and neither
    SciPy nor ASE's fit (so a worker that imported matplotlib alone serves it)."""
    volumes, energies = _scan()
    given = {"volumes": volumes, "energies": energies, "title": "Cu", **_fit(volumes, energies)}
    done = subprocess.run(
        [sys.executable, "-c", _GIVEN_FIT, json.dumps(given)], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]  # before: the plot refitted, importing scipy.optimize
    points_only = {"volumes": volumes, "energies": energies, "title": "Cu", "filename": str(tmp_path / "refit.png")}
    refitted = PlotEOS().execute(OPIO(points_only))["plot"]
    assert np.array_equal(imread(tmp_path / "eos.png"), imread(refitted))  # the picture of a plot that fits itself


def test_part_of_a_fit_is_an_error_naming_what_is_missing() -> None:
    volumes, energies = _scan()
    partial = {**_fit(volumes, energies), "v0": None}
    with pytest.raises(FatalError, match="missing: v0"):
        PlotEOS().execute(OPIO({"volumes": volumes, "energies": energies, **partial}))
