"""Per-item cost of realistic (import-heavy) OPs next to a trivial one, in one run.

Run: python bench/realistic.py [N] [ROUNDS]     (default: 200 items, 2 rounds)

Three OPs, each sliced over N items, their runs alternated (trivial, module-level,
in-execute, trivial, ...) so that they share the machine's load:
  trivial       x -> x
  module-level  its module imports ase and matplotlib
  in-execute    ``execute`` imports ase.build, scipy.optimize and matplotlib
Per item = wall time of the run (engine start-up included) / N; CPU per item counts
the engine, its workers and the steps (it depends less on the machine's load). Also
printed: the largest worker RSS seen while the run went on (warm workers keep their
OPs' imports).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

from _chem_in_execute import in_execute
from _chem_module_level import module_level
from _common import fresh_home, timed

from dflow_like import Step, Workflow
from dflow_like.python import OP, PythonOPTemplate, Slices


@OP.function
def trivial(x: float) -> {"y": float}:  # type: ignore[valid-type]  # noqa: F821
    return {"y": x}


OPS: dict[str, Callable[..., object]] = {"trivial": trivial, "module-level": module_level, "in-execute": in_execute}


def build(op: object, n: int) -> Workflow:
    wf = Workflow("realistic")
    template = PythonOPTemplate(op, slices=Slices(input_parameter=["x"], output_parameter=["y"]))
    wf.add(Step("item", template, parameters={"x": [float(i) for i in range(n)]}))
    return wf


_SAMPLER = """
import os, select, sys

def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []

def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
    except OSError:
        return 0

peak, parent = 0, int(sys.argv[1])
while not select.select([sys.stdin], [], [], 0.05)[0]:
    for engine in children(parent):
        if engine != os.getpid():
            peak = max([peak, *(rss_kib(worker) for worker in children(engine))])
print(peak)
"""


class WorkerRss:
    """Samples the RSS of every grandchild of this process (the engine's workers).

    From a process of its own: a sampling thread here would make this process
    multi-threaded, and its engine would then be spawned rather than forked from it
    (``engine/local/fork_start``), which is not what a user's script gets.
    """

    def __init__(self) -> None:
        self.peak_kib = 0
        self._sampler: subprocess.Popen[str] | None = None

    def __enter__(self) -> WorkerRss:
        self._sampler = subprocess.Popen(
            [sys.executable, "-c", _SAMPLER, str(os.getpid())], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._sampler is not None
        out, _ = self._sampler.communicate("")
        self.peak_kib = int(out.strip() or 0)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    fresh_home()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min); {n} items per run")
    per_item: dict[str, list[float]] = {name: [] for name in OPS}
    cpu_per_item: dict[str, list[float]] = {name: [] for name in OPS}
    for round_ in range(rounds):
        for name, op in OPS.items():
            with WorkerRss() as rss:
                t0 = time.perf_counter()
                wall, _, wf = timed(lambda op=op: build(op, n))
            assert time.perf_counter() - t0 >= wall
            ys = wf.query_step(name="item", type="StepGroup")[0].outputs.parameters["y"].value
            assert ys == [float(i) for i in range(n)], f"{name}: outputs must come back in item order"
            per_item[name].append(1000 * wall / n)
            cpu_per_item[name].append(1000 * wf.cpu_seconds / n)
            print(
                f"round {round_ + 1} {name:>12}: {1000 * wall / n:7.1f} ms per item "
                f"(wall {wall:.2f} s, CPU {wf.cpu_seconds:.2f} s), peak worker RSS {rss.peak_kib / 1024:.0f} MiB"
            )
    base, cpu_base = min(per_item["trivial"]), min(cpu_per_item["trivial"])
    for name, values in per_item.items():
        cpu = cpu_per_item[name]
        print(
            f"{name:>12}: {min(values):7.1f}-{max(values):.1f} ms per item, best {min(values) / base:.1f}x "
            f"the trivial OP's best; CPU {min(cpu):.1f}-{max(cpu):.1f} ms per item, best {min(cpu) / cpu_base:.1f}x"
        )


if __name__ == "__main__":
    main()
