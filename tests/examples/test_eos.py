"""The README's first command: the EOS of Cu agrees with ASE and leaves eos.png."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.eos import EquationOfState
from ase.units import kJ
from matplotlib.image import imread

from .conftest import EXAMPLES, start_example


def ase_reference() -> tuple[float, float, float]:
    """V0 (Å³), a0 (Å), B (GPa) straight from ASE, for the inputs examples/eos.py uses."""
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.calc = EMT()
    cell = atoms.cell.copy()
    volumes, energies = [], []
    for s in np.linspace(0.95, 1.05, 20):
        atoms.set_cell(cell * s, scale_atoms=True)
        volumes.append(atoms.get_volume())
        energies.append(atoms.get_potential_energy())
    v0, _, b = EquationOfState(volumes, energies, eos="sj").fit()
    return float(v0), 3.6 * float(v0 / cell.volume) ** (1 / 3), float(b / kJ * 1e24)


def test_eos_example_matches_ase(example_base: Path) -> None:
    proc, cwd = start_example("eos", example_base)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, f"{out}\n{err}"  # how fast: bench/eos_vs_plain.py, not a wall-clock assert here

    printed = {
        name: float(re.search(rf"{label}\s+=\s+([\d.]+)", out)[1])  # type: ignore[index]
        for name, label in (("v0", "V0"), ("a0", "a0"), ("b", "B"))
    }
    v0, a0, b = ase_reference()
    # six printed decimals keep the comparison well inside 1e-6 relative
    assert printed["v0"] == pytest.approx(v0, rel=1e-6)
    assert printed["a0"] == pytest.approx(a0, rel=1e-6)
    assert printed["b"] == pytest.approx(b, rel=1e-6)
    assert a0 == pytest.approx(3.590, abs=1e-3) and b == pytest.approx(133.7, abs=0.1)

    png = cwd / "eos.png"
    assert f"plot                    : {png}" in out
    image = imread(png)
    assert image.shape[:2] == (450, 600)
    assert image[..., :3].std() > 0.05  # a drawing, not a blank canvas


def test_the_plot_imports_matplotlib_while_the_engine_imports_ase() -> None:
    """The plot step draws FitEOS's fit with matplotlib alone, so the local engine forks a
    worker that imports it beside the engine's import of ASE for the energies
    (``prefetch.early_plan``): the idle CPU of that import is where the example gains on
    a serial script (``bench/eos_vs_plain.py``). A plot that names ASE would lose it."""
    from dflow_like.engine.local.prefetch import early_plan
    from dflow_like.engine.local.warm_imports import fan_out_templates
    from dflow_like.graph.collect import TemplateTable

    spec = importlib.util.spec_from_file_location("eos_example", EXAMPLES / "eos.py")
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    wf = example.build_workflow()
    templates = TemplateTable(wf.entrypoint).by_name
    fan_outs = fan_out_templates(templates)
    assert [t.op_class.__name__ for t in fan_outs] == ["SinglePoint"]
    assert [templates[name].op_class.__name__ for name in early_plan(templates, fan_outs, slots=1)] == ["PlotEOS"]
