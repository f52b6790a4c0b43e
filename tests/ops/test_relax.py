from __future__ import annotations

from pathlib import Path

import pytest

from dflow_like.ops import BuildBulk, Rattle, Relax, SinglePoint, read_structure
from dflow_like.python import OPIO, FatalError


@pytest.fixture
def rattled() -> Path:
    built = BuildBulk().execute(OPIO({"element": "Cu", "a": 3.6, "supercell": [2, 1, 1]}))
    out = Rattle().execute(OPIO({"structure": built["structure"], "stdev": 0.08, "seed": 7}))
    return Path(out["structure"])


def test_rattle_is_reproducible_and_moves_atoms(rattled: Path) -> None:
    first = read_structure(rattled)
    perfect = read_structure(Path("structure.extxyz"))
    shift = ((first.positions - perfect.positions) ** 2).sum(axis=1) ** 0.5
    assert 0.02 < shift.mean() < 0.3  # of the order of stdev = 0.08 Å
    again = Rattle().execute(OPIO({"structure": Path("structure.extxyz"), "stdev": 0.08, "seed": 7}))
    assert read_structure(again["structure"]).positions == pytest.approx(first.positions)
    other = Rattle().execute(OPIO({"structure": Path("structure.extxyz"), "stdev": 0.08, "seed": 8}))
    assert read_structure(other["structure"]).positions != pytest.approx(first.positions)
    assert SinglePoint().execute(OPIO({"structure": rattled}))["max_force"] > 0.3


def test_relax_converges_and_lowers_the_energy(rattled: Path) -> None:
    before = SinglePoint().execute(OPIO({"structure": rattled}))
    out = Relax().execute(OPIO({"structure": rattled, "fmax": 0.01}))
    assert out["converged"] is True
    assert out["max_force"] < 0.01
    assert 1 <= out["n_steps"] < 200
    assert out["energy"] < before["energy"] - 0.1
    # the written structure is the relaxed one
    after = SinglePoint().execute(OPIO({"structure": out["structure"]}))
    assert after["energy"] == pytest.approx(out["energy"], abs=1e-6)
    assert after["max_force"] < 0.011


def test_a_small_step_budget_reports_not_converged(rattled: Path) -> None:
    out = Relax().execute(OPIO({"structure": rattled, "fmax": 0.001, "steps": 2}))
    assert out["converged"] is False
    assert out["n_steps"] == 2
    assert out["max_force"] > 0.001


def test_cell_relaxation_finds_the_emt_lattice_constant() -> None:
    built = BuildBulk().execute(OPIO({"element": "Cu", "a": 3.7}))
    out = Relax().execute(OPIO({"structure": built["structure"], "relax_cell": True, "fmax": 1e-4}))
    assert out["converged"] is True
    a = read_structure(out["structure"]).cell.lengths()
    assert a == pytest.approx([3.5900] * 3, abs=2e-3)  # the EOS fit gives 3.59006 Å


def test_unknown_optimizer_is_fatal(rattled: Path) -> None:
    with pytest.raises(FatalError, match="unknown optimizer"):
        Relax().execute(OPIO({"structure": rattled, "optimizer": "newton"}))
