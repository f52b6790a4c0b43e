"""What a process of its own costs an ASE single point: the EOS example's energy step, bare.

Run: python bench/fork_cost.py [N]     (default: 30 children per case)

A process that has imported what the step needs (numpy, ``ase.io``, EMT: what a warm
worker holds) forks N children per case and waits for each, as a worker does; the
kernel's counts for the children (``getrusage(RUSAGE_CHILDREN)``) give minor page
faults and CPU per child. The same single point inline, first and second time, for
comparison. No dflow_like in the loop: this is the floor a forked step stands on.
"""

from __future__ import annotations

import gc
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable

from ase.build import bulk
from ase.calculators.emt import EMT
from ase.io import read, write


def single_point(path: str) -> float:
    atoms = read(path, index=-1, format="extxyz")
    atoms.calc = EMT()
    energy = float(atoms.get_potential_energy())
    atoms.get_forces()
    return energy


def per_child(body: Callable[[], object], n: int) -> tuple[float, float, float]:
    """Minor faults, CPU ms and wall ms per forked child that runs ``body``."""
    gc.freeze()  # as a worker does before it forks
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            body()
            os._exit(0)
        os.waitpid(pid, 0)
    wall = (time.perf_counter() - start) / n * 1e3
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    faults = (after.ru_minflt - before.ru_minflt) / n
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / n * 1e3
    return faults, cpu, wall


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory(prefix="dflow-like-fork-cost-") as work:
        path = os.path.join(work, "cu.extxyz")
        write(path, bulk("Cu", "fcc", a=3.6, cubic=True), format="extxyz")
        print(f"load: {os.getloadavg()[0]:.2f}; {n} children per case")
        cases: dict[str, Callable[[], object]] = {
            "empty child": lambda: None,
            "one single point": lambda: single_point(path),
            "two single points": lambda: (single_point(path), single_point(path)),
        }
        for name, body in cases.items():
            faults, cpu, wall = per_child(body, n)
            print(f"{name:>20}: {faults:6.0f} minor faults, {cpu:5.2f} ms CPU, {wall:5.2f} ms wall per child")
        for label in ("first", "second"):
            start = time.perf_counter()
            single_point(path)
            print(f"{'inline, ' + label:>20}: {(time.perf_counter() - start) * 1e3:5.2f} ms")


if __name__ == "__main__":
    main()
