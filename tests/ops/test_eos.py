from __future__ import annotations

import math

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.eos import EquationOfState
from ase.units import kJ

from dflow_like.ops import EOS_NAMES, FitEOS, fit_eos
from dflow_like.python import OPIO, FatalError


def _cu_scan(lo: float = 0.95, hi: float = 1.05, n: int = 11) -> tuple[list[float], list[float]]:
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.calc = EMT()
    cell = atoms.cell.copy()
    volumes, energies = [], []
    for s in np.linspace(lo, hi, n):
        atoms.set_cell(cell * s, scale_atoms=True)
        volumes.append(float(atoms.get_volume()))
        energies.append(float(atoms.get_potential_energy()))
    return volumes, energies


def test_fit_matches_ase_and_gives_the_cu_emt_numbers() -> None:
    volumes, energies = _cu_scan()
    out = FitEOS().execute(
        OPIO(
            {
                "volumes": volumes,
                "energies": energies,
                "reference_volume": 3.6**3,
                "reference_lattice_constant": 3.6,
            }
        )
    )
    v0, e0, b = EquationOfState(volumes, energies, eos="sj").fit()
    assert out["v0"] == pytest.approx(v0, rel=1e-12)
    assert out["e0"] == pytest.approx(e0, rel=1e-12)
    assert out["bulk_modulus"] == pytest.approx(b, rel=1e-12)
    assert out["bulk_modulus_gpa"] == pytest.approx(b / kJ * 1e24, rel=1e-12)
    # EMT Cu: a0 ≈ 3.590 Å, B ≈ 134 GPa (experiment: 3.615 Å, 140 GPa)
    assert out["lattice_constant"] == pytest.approx(3.590, abs=1e-3)
    assert out["lattice_constant"] == pytest.approx(v0 ** (1 / 3), rel=1e-12)
    assert out["bulk_modulus_gpa"] == pytest.approx(134, abs=1.5)


@pytest.mark.parametrize("eos", ["birchmurnaghan", "vinet", "murnaghan"])
def test_other_eos_forms_agree_with_sj(eos: str) -> None:
    volumes, energies = _cu_scan()
    sj, other = fit_eos(volumes, energies, "sj"), fit_eos(volumes, energies, eos)
    assert other.eos == eos and eos in EOS_NAMES
    assert other.v0 == pytest.approx(sj.v0, rel=1e-3)
    assert other.bulk_modulus_gpa == pytest.approx(sj.bulk_modulus_gpa, rel=2e-2)


def test_lattice_constant_is_nan_without_a_reference() -> None:
    volumes, energies = _cu_scan()
    out = FitEOS().execute(OPIO({"volumes": volumes, "energies": energies}))
    assert math.isnan(out["lattice_constant"])


def test_fit_eos_gives_the_curve_plot_eos_draws() -> None:
    volumes, energies = _cu_scan()
    out = FitEOS().execute(OPIO({"volumes": volumes, "energies": energies}))
    fit = fit_eos(volumes, energies)
    assert out["curve_volumes"] == fit.curve_volumes and out["curve_energies"] == fit.curve_energies
    assert min(out["curve_energies"]) == pytest.approx(out["e0"], abs=1e-4)


def test_curve_spans_the_sampled_volumes() -> None:
    volumes, energies = _cu_scan()
    fit = fit_eos(volumes, energies)
    assert len(fit.curve_volumes) == len(fit.curve_energies) == 100
    assert fit.curve_volumes[0] == pytest.approx(min(volumes))
    assert fit.curve_volumes[-1] == pytest.approx(max(volumes))
    assert min(fit.curve_energies) == pytest.approx(fit.e0, abs=1e-4)


@pytest.mark.parametrize(
    ("volumes_energies", "eos", "message"),
    [
        (_cu_scan(1.02, 1.10), "sj", "outside the sampled volumes"),
        (_cu_scan(n=4), "sj", "at least 5 points"),
        (_cu_scan(), "quadratic", "unknown equation of state"),
        ((_cu_scan()[0], _cu_scan()[1][:-1]), "sj", "11 volumes but 10 energies"),
    ],
)
def test_bad_scans_are_fatal(volumes_energies: tuple[list[float], list[float]], eos: str, message: str) -> None:
    volumes, energies = volumes_energies
    with pytest.raises(FatalError, match=message):
        fit_eos(volumes, energies, eos)
