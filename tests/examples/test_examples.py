"""Each local example runs as ``python examples/NAME.py`` and prints what it promises.

All examples start together (one fixture) and the tests then read their output: they
spend most of their time in separate engine processes, so this keeps the suite short.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from .conftest import Run, start_example

LOCAL_EXAMPLES = [
    "hello",
    "diamond_dag",
    "artifacts",
    "slices",
    "recursion",
    "retries_timeouts",
    "reuse",
]
TIMEOUT = 120


@pytest.fixture(scope="module")
def runs(example_base: Path) -> dict[str, Run]:
    start = time.monotonic()
    procs = {name: start_example(name, example_base) for name in LOCAL_EXAMPLES}
    done: dict[str, Run] = {}
    for name, (proc, cwd) in procs.items():
        try:
            out, err = proc.communicate(timeout=TIMEOUT)
        except Exception:
            proc.kill()
            out, err = proc.communicate()
        done[name] = Run(proc.returncode, out, err, cwd, time.monotonic() - start)
    return done


def test_hello(runs: dict[str, Run]) -> None:
    out = runs["hello"].check()
    assert re.search(r"workflow hello-\w+: Succeeded", out)
    assert "greeting = 'Hello, world!'" in out


def test_diamond_dag_runs_b_and_c_side_by_side(runs: dict[str, Run]) -> None:
    out = runs["diamond_dag"].check()
    times = {
        m[1]: (float(m[2]), float(m[3]))
        for m in re.finditer(r"^\s+(\S+)\s+Succeeded\s+([\d.]+) s ->\s+([\d.]+) s", out, re.M)
    }
    assert set(times) == {"build", "bulk-energy", "vacancy", "formation-energy"}
    assert times["bulk-energy"][0] >= times["build"][1] and times["vacancy"][0] >= times["build"][1]
    assert times["formation-energy"][0] >= max(times["bulk-energy"][1], times["vacancy"][1])
    energy = float(re.search(r"formation energy \(EMT, 32 sites\): ([\d.]+) eV", out)[1])  # type: ignore[index]
    assert energy == pytest.approx(1.228, abs=0.005)  # EMT Cu, 2x2x2 cell, relaxed


def test_artifacts_come_back_to_the_user(runs: dict[str, Run]) -> None:
    run = runs["artifacts"]
    out = run.check()
    report = run.cwd / "artifacts-out" / "report.txt"
    assert report.read_text() in out
    moved = [float(x) for x in re.findall(r"moved ([\d.]+) Å", report.read_text())]
    assert len(moved) == 4 and moved[1] == max(moved) and moved[1] > 0.1  # the pushed atom
    frames = sorted(p.name for p in (run.cwd / "artifacts-out" / "frames").iterdir())
    assert frames == ["after.extxyz", "before.extxyz"]


def test_slices_gather_in_order(runs: dict[str, Run]) -> None:
    out = runs["slices"].check()
    assert "7 slice items ran" in out
    table = dict(re.findall(r"^(\w+)\s+a = ([\d.]+) Å", out, re.M))
    assert list(table) == ["Al", "Ni", "Cu", "Pd", "Ag", "Pt", "Au"]
    assert float(table["Cu"]) == pytest.approx(3.590, abs=1e-3)
    assert float(table["Al"]) == pytest.approx(3.994, abs=1e-3)


def test_recursion_relaxes_until_converged(runs: dict[str, Run]) -> None:
    out = runs["recursion"].check()
    rounds = re.findall(r"relax-(\d+)\s+E = +(-?[\d.]+) eV\s+max\|F\| = ([\d.]+) eV/Å\s+converged = (\w+)", out)
    assert len(rounds) >= 2
    assert [int(r[0]) for r in rounds] == list(range(len(rounds)))
    assert [r[3] for r in rounds] == ["False"] * (len(rounds) - 1) + ["True"]
    energies = [float(r[1]) for r in rounds]
    assert energies == sorted(energies, reverse=True)  # every round lowers the energy
    assert float(rounds[-1][2]) < 0.005
    assert (runs["recursion"].cwd / "relaxed.extxyz").is_file()


def test_retries_and_timeouts(runs: dict[str, Run]) -> None:
    out = runs["retries_timeouts"].check()
    assert re.search(r"workflow \S+: Succeeded in [\d.]+ s", out)
    assert re.search(r"flaky\s+Succeeded attempts=3", out)
    assert re.search(r"hang\s+Failed\s+attempts=1\s+timed out", out)  # its 60 s sleep was cut, not waited for
    assert re.search(r"broken\s+Failed\s+attempts=1\s+FatalError", out)
    assert "flaky succeeded on attempt 3; broken ran 1 time(s)" in out


def test_reuse_skips_the_expensive_steps(runs: dict[str, Run]) -> None:
    out = runs["reuse"].check()
    first, second = re.findall(r"V0 = ([\d.]+) Å\^3, B = ([\d.]+) GPa; (\d+) of (\d+) steps", out)
    assert first[2] == "0" and second[2] == second[3] == "14"  # build, scale, 12 energies
    assert float(first[0]) == pytest.approx(float(second[0]), rel=1e-3)  # same points, other EOS
    assert first[1] != second[1]


def test_compile_to_argo(example_base: Path) -> None:
    proc, cwd = start_example("compile_to_argo", example_base)
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err
    assert out.startswith("Workflow 'eos-cu")
    text = (cwd / "eos-workflow.yaml").read_text()
    assert "kind: Workflow" in text and "argoproj.io/v1alpha1" in text
    for template in ("build-bulk", "scale-lattice", "single-point", "fit-eos", "plot-eos"):
        assert template in text
