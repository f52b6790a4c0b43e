"""The S3 and Slurm examples, run as a user runs them, against the real servers the fixtures start.

``examples/s3_storage.py`` gets the SeaweedFS endpoint and keys only through its
``DFLOW_LIKE_S3_*`` environment; ``examples/slurm_executor.py`` gets the cluster only
through ``SLURM_CONF`` and ``DFLOW_LIKE_SLURM_PARTITION``. Each runs in a fresh process
with its own cwd and ``DFLOW_LIKE_HOME`` (the test's home, so the test can read the run
back afterwards). The fixtures skip without the servers, and fail under ``CI=true``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.eos import EquationOfState
from ase.io import read
from ase.units import GPa

from dflow_like import Workflow
from dflow_like.executor.slurm.local_cluster import LocalSlurmCluster
from dflow_like.storage import get_storage_client
from dflow_like.storage.seaweed import SeaweedFS

from .conftest import EXAMPLES, example_env

TIMEOUT = 240


def run_example(name: str, home: Path, extra_env: dict[str, str]) -> tuple[str, Path]:
    cwd = home.parent / name
    cwd.mkdir()
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py")],
        cwd=cwd,
        env={**example_env(home), **extra_env},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout, cwd


@pytest.mark.s3
def test_s3_storage_keeps_the_artifacts_in_the_bucket(s3_settings: SeaweedFS, isolated_home: Path) -> None:
    server = s3_settings
    out, cwd = run_example(
        "s3_storage",
        isolated_home,
        {
            "DFLOW_LIKE_S3_ENDPOINT": server.endpoint,
            "DFLOW_LIKE_S3_ACCESS_KEY": server.access_key,
            "DFLOW_LIKE_S3_SECRET_KEY": server.secret_key,
            "DFLOW_LIKE_S3_BUCKET_NAME": server.bucket,
        },
    )
    assert f"endpoint {server.endpoint}, bucket {server.bucket!r}" in out
    assert re.search(r"workflow s3-storage-\w+: Succeeded", out)
    assert server.secret_key not in out  # credentials stay out of what it prints

    # Both the upload and the relaxed output are objects in the test bucket (s3_settings
    # points this process's s3_config at the same server).
    client = get_storage_client()
    for what in ("uploaded to", "output stored at"):
        match = re.search(rf"{what} s3://([^/\s]+)/(\S+)", out)
        assert match, f"no '{what}' line in:\n{out}"
        assert match[1] == server.bucket
        assert client.list(match[2], recursive=True), f"{match[2]} is not in the bucket"

    # The relaxed structure came back into the cwd, and it is relaxed.
    match = re.search(r"downloaded (\S+): 4 atoms, E = (-?[\d.]+) eV, max\|F\| = ([\d.]+) eV/Å", out)
    assert match, out
    path = cwd / match[1]
    assert path.is_file() and path.parent == cwd / "s3-out"
    atoms = read(path)
    atoms.calc = EMT()
    assert atoms.get_potential_energy() == pytest.approx(float(match[2]), abs=1e-4)
    assert float(match[3]) < 0.05
    assert ((atoms.get_forces() ** 2).sum(axis=1) ** 0.5).max() < 0.05


@pytest.mark.slurm
def test_slurm_executor_runs_the_energies_as_slurm_jobs(slurm_cluster: LocalSlurmCluster, isolated_home: Path) -> None:
    assert slurm_cluster.env["SLURM_CONF"] == slurm_cluster.slurm_conf
    out, _ = run_example("slurm_executor", isolated_home, {**slurm_cluster.env, "DFLOW_LIKE_SLURM_PARTITION": "debug"})
    match = re.search(r"workflow (slurm-eos-\w+): Succeeded", out)
    assert match, out
    assert "8 energies computed as Slurm jobs" in out
    v0, b = (float(x) for x in re.search(r"V0 = ([\d.]+) Å\^3, B = ([\d.]+) GPa", out).groups())  # type: ignore[union-attr]

    # Read the run back from the shared home: only the 8 energy items carry a Slurm job id.
    steps = [s for s in Workflow(id=match[1]).query_step() if s.type == "Pod"]
    jobs = {s.name: s.job_id for s in steps}
    energies = [s for s in steps if s.name.startswith("energy")]
    assert len(energies) == 8 and all(s.job_id for s in energies), jobs
    assert all(not s.job_id for s in steps if not s.name.startswith("energy")), jobs

    # The same 8 points fitted by ASE directly (cubic Cu cell, a = 3.6 Å, EMT).
    volumes, energies_ = [], []
    for scale in [0.96 + 0.08 * i / 7 for i in range(8)]:
        atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
        atoms.set_cell(atoms.cell * scale, scale_atoms=True)
        atoms.calc = EMT()
        volumes.append(atoms.get_volume())
        energies_.append(atoms.get_potential_energy())
    ref_v0, _, ref_b = EquationOfState(volumes, energies_, eos="sj").fit()
    assert v0 == pytest.approx(ref_v0, abs=1e-4)
    assert b == pytest.approx(ref_b / GPa, abs=0.01)
