"""Slurm dispatch latency and overhead against a real single-node Slurm started here.

    python bench/slurm.py [--jobs 10] [--items 100] [--cpus 4] [--interval 0.05]
    python bench/slurm.py --packed 24 [--group 12] [--pool 1] [--rounds 2]

Prints, per step: the scheduler's own latency (submit → job start, job end as Slurm
records it), when our poll sees the end, and what one ``submit``/``poll`` call costs; then
100 items as one array job vs 100 separate jobs (wall seconds, submit → all seen final).

``--packed N`` measures, instead, a sliced step of N items in jobs of ``--group`` items
(``Slices(group_size=..., pool_size=...)``) through the local engine, per item: wall
time of the run / N, and the median of each item's own run (from its process's start
to its ``exit_code``; a fresh interpreter's start-up before that is not in it). First
for a trivial OP, then an OP importing ``ase.build``, ``scipy.optimize`` and matplotlib inside
``execute`` (``_chem_in_execute.py``) packed as usual (one import per job, a forked
child per item: ``runner/packed.py``), then the same with ``warm_imports=False`` (a
fresh interpreter per item, as every packed job ran before). The three alternate for
``--rounds``.

Needs root and Debian's slurm-wlm + munge. A script, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dflow_like import Step, Workflow
from dflow_like.executor import DispatcherExecutor
from dflow_like.executor.slurm import SlurmExecutor
from dflow_like.executor.slurm.local_cluster import LocalSlurmCluster
from dflow_like.python import OP, PythonOPTemplate, Slices

STAMP = 'python3 -c "import time; print(repr(time.time()))"'


def _wait(ex: SlurmExecutor, ids: list[str], interval: float) -> tuple[float, list[float]]:
    """Poll until all are final; return the time all were seen and each poll's cost."""
    costs: list[float] = []
    while True:
        start = time.perf_counter()
        seen = ex.poll(ids)
        costs.append(time.perf_counter() - start)
        if all(s.state.finished for s in seen.values()):
            bad = [k for k, s in seen.items() if s.state.name != "SUCCEEDED"]
            if bad:
                raise RuntimeError(f"jobs did not succeed: {bad[:5]}")
            return time.time(), costs
        time.sleep(interval)


def latency(ex: SlurmExecutor, work: Path, jobs: int, interval: float) -> None:
    """One job at a time, so each figure is the scheduler's, not a queue's."""
    rows: list[tuple[float, float, float, float, float]] = []
    polls: list[float] = []
    for n in range(jobs):
        d = work / f"lat{n}"
        d.mkdir()
        cmd = ["bash", "-c", f"{STAMP} > start; {STAMP} > end"]
        t0 = time.time()
        job = ex.submit(cmd, str(d), f"lat{n}", str(d / "s.log"))
        t_sub = time.time()
        seen, costs = _wait(ex, [job], interval)
        polls += costs
        start, end = float((d / "start").read_text()), float((d / "end").read_text())
        rows.append((t_sub - t0, start - t0, end - start, seen - end, seen - t0))
    med = [statistics.median(col) for col in zip(*rows)]
    print(f"latency, {jobs} jobs one after another (median seconds):")
    print(f"  submit() call (sbatch)          {med[0]:.3f}")
    print(f"  submit → job command starts     {med[1]:.3f}   (Slurm scheduling + launch)")
    print(f"  command runs                    {med[2]:.3f}")
    print(f"  command ends → our poll sees it {med[3]:.3f}   (Slurm epilog/completion + poll)")
    print(f"  submit → seen SUCCEEDED         {med[4]:.3f}")
    print(f"  poll() call, 1 job              {statistics.median(polls) * 1000:.1f} ms (interval {interval} s)")


def poll_cost(ex: SlurmExecutor, work: Path, items: int) -> None:
    d = work / "pollcost"
    d.mkdir()
    job = ex.submit(["sleep", "30"], str(d), "pollcost", str(d / "s.log"), array_size=items)
    ids = [f"{job}_{i}" for i in range(items)]
    costs = []
    for _ in range(20):
        fresh = SlurmExecutor(ex.spec)  # no cached final states
        start = time.perf_counter()
        fresh.poll(ids)
        costs.append(time.perf_counter() - start)
    ex.cancel(job)
    print(f"  poll() call, {items} array tasks     {statistics.median(costs) * 1000:.1f} ms")


def fan_out(ex: SlurmExecutor, work: Path, items: int, interval: float) -> None:
    d = work / "array"
    d.mkdir()
    t0 = time.time()
    job = ex.submit(["true"], str(d), "array", str(d / "s.log"), array_size=items)
    seen, _ = _wait(ex, [f"{job}_{i}" for i in range(items)], interval)
    array_wall = seen - t0
    d = work / "separate"
    d.mkdir()
    t0 = time.time()
    ids = [ex.submit(["true"], str(d), f"one{i}", str(d / f"s{i}.log")) for i in range(items)]
    t_sub = time.time() - t0
    seen, _ = _wait(ex, ids, interval)
    print(f"{items} items, submit → all seen succeeded (wall seconds):")
    print(f"  one array job                   {array_wall:.2f}")
    print(f"  {items} separate jobs               {seen - t0:.2f}   (of which sbatch calls {t_sub:.2f})")


@OP.function
def trivial(x: float) -> {"y": float}:  # type: ignore[valid-type]  # noqa: F821
    return {"y": x}


def _packed_run(cluster: LocalSlurmCluster, op: object, items: int, group: int, pool: int, warm: bool) -> str:
    slices = Slices(input_parameter=["x"], output_parameter=["y"], group_size=group, pool_size=pool)
    wf = Workflow("packed")
    template = PythonOPTemplate(op, slices=slices, warm_imports=warm)
    executor = DispatcherExecutor(slurm_conf=str(cluster.slurm_conf))
    wf.add(Step("item", template, parameters={"x": [float(i) for i in range(items)]}, executor=executor))
    start = time.perf_counter()
    wf.submit()
    phase = wf.wait(timeout=3600)
    wall = time.perf_counter() - start
    if phase != "Succeeded":
        raise RuntimeError(f"packed run ended {phase}: {wf.query_message()}")
    own = [_own_run(Path(r.log_path).parent) for r in wf.query_step(name="item") if r.type == "Pod" and r.log_path]
    median = statistics.median(own) * 1000
    return f"{wall / items * 1000:8.0f} ms/item (wall {wall:5.1f} s)   item's own run: median {median:6.0f} ms"


def _own_run(attempt: Path) -> float:
    """From the item's ``started`` (its process running dflow_like) to its ``exit_code``."""
    return (attempt / "exit_code").stat().st_mtime - float((attempt / "started").read_text())


def packed(cluster: LocalSlurmCluster, items: int, group: int, pool: int, rounds: int) -> None:
    from _chem_in_execute import in_execute
    from _common import fresh_home

    fresh_home()
    print(f"{items} items in Slurm jobs of {group} (pool_size={pool}), per item:")
    cases = [
        ("trivial, packed", trivial, True),
        ("in-execute imports, packed", in_execute, True),
        ("in-execute imports, fresh interpreter per item", in_execute, False),
    ]
    for n in range(rounds):
        for label, op, warm in cases:
            print(f"  round {n + 1} {label:48s} {_packed_run(cluster, op, items, group, pool, warm)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--cpus", type=int, default=4, help="job slots the node advertises")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between polls")
    parser.add_argument("--packed", type=int, default=0, help="items of the packed-jobs comparison (only that)")
    parser.add_argument("--group", type=int, default=12, help="items per job (--packed)")
    parser.add_argument("--pool", type=int, default=1, help="items a job runs at once (--packed)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the packed comparison")
    args = parser.parse_args()
    if args.packed:
        with LocalSlurmCluster(cpus=args.cpus) as cluster:
            packed(cluster, args.packed, args.group, args.pool, args.rounds)
        return
    with (
        tempfile.TemporaryDirectory(prefix="dflow-like-bench-") as tmp,
        LocalSlurmCluster(cpus=args.cpus) as cluster,
    ):
        print(f"single-node Slurm, {args.cpus} slots, cgroup={cluster.cgroup} {cluster.note}")
        ex = SlurmExecutor(DispatcherExecutor(slurm_conf=cluster.slurm_conf, memory="64M"))
        latency(ex, Path(tmp), args.jobs, args.interval)
        poll_cost(ex, Path(tmp), args.items)
        fan_out(ex, Path(tmp), args.items, args.interval)


if __name__ == "__main__":
    main()
