from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from dflow_like.ops import FitEOS, PlotEOS
from dflow_like.python import OPIO, FatalError, SignatureError


def _scan() -> tuple[list[float], list[float]]:
    volumes = [float(v) for v in np.linspace(40, 54, 9)]
    return volumes, [0.002 * (v - 46.3) ** 2 - 0.027 for v in volumes]


def _fit(volumes: list[float], energies: list[float]) -> dict[str, object]:
    out = FitEOS().execute(OPIO({"volumes": volumes, "energies": energies}))
    return {name: out[name] for name in ("curve_volumes", "curve_energies", "v0", "bulk_modulus_gpa")}


def _given(**extra: object) -> OPIO:
    volumes, energies = _scan()
    return OPIO({"volumes": volumes, "energies": energies, **_fit(volumes, energies), **extra})


def test_writes_a_png_with_points_and_curve() -> None:
    out = PlotEOS().execute(_given(title="Cu"))
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
    out = PlotEOS().execute(_given(filename="plots/cu.png"))
    assert Path(out["plot"]) == Path("plots/cu.png") and Path("plots/cu.png").stat().st_size > 10_000


_DRAW = """
import json, sys
from dflow_like.ops import PlotEOS
from dflow_like.python import OPIO
PlotEOS().execute(OPIO(json.loads(sys.argv[1])))
print("scipy" in sys.modules, "ase" in sys.modules)
"""


def test_drawing_a_fit_imports_neither_scipy_nor_ase(tmp_path: Path) -> None:
    """The EOS example's plot step needs matplotlib alone, so the local engine imports it
    on a worker of its own while it imports ASE for the energies (``prefetch.early_plan``)."""
    from dflow_like.engine.local.import_hints import static_imports

    done = subprocess.run(
        [sys.executable, "-c", _DRAW, json.dumps(dict(_given(title="Cu")))],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
    assert {name.partition(".")[0] for name in static_imports(PlotEOS)} == {"matplotlib"}  # before: ase.eos too


def test_a_fit_is_required_and_a_curve_must_pair_up() -> None:
    volumes, energies = _scan()
    with pytest.raises(SignatureError, match="'curve_volumes' is declared in the input sign but not passed"):
        PlotEOS().execute(OPIO({"volumes": volumes, "energies": energies}))
    given = _given()
    given["curve_energies"] = given["curve_energies"][:-1]
    with pytest.raises(FatalError, match="curve_volumes has 100 values but curve_energies 99"):
        PlotEOS().execute(given)
