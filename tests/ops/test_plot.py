from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.image import imread

from dflow_like.ops import PlotEOS
from dflow_like.python import OPIO


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
