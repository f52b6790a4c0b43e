"""Cost of every user path at N = 1k, 10k, 100k, and how it grows per 10x (issue 18).

Each N runs in a fresh process (so peak RSS is per N), with a fresh home:
- a DAG of N tasks, each depending on up to 3 earlier ones (``bench/compile.py``'s shape):
  build, ``to_dict()`` (which validates, as a user's call does), ``lint()`` (to_dict + schemas
  + semantic lint); and Hera (``pip install hera``: bench only, not a dependency) building +
  ``to_dict()``-ing the same DAG, side by side. These are CPU seconds, best of 3 (the
  machine may be shared; the other rows are wall seconds);
- one step sliced over N items of a trivial OP on the local engine: ``submit()``, the run
  (submit to Succeeded), ``query_step()`` with and without filters, ``dflow-like status``
  and ``list``, and ``resume()`` of the same run after its engine was killed half-way.
Peak RSS: the user's process (``ru_maxrss``) and the engine (its ``VmHWM``, sampled while it runs).

    python bench/scale.py [--sizes 1000 10000 100000] [--no-hera] [--no-run-over N] [--no-resume]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from _common import cpu_of_children, fresh_home, square
from compile import build_ours, compile_hera, dependencies

from dflow_like import Step, Workflow
from dflow_like.python import PythonOPTemplate, Slices

Row = dict[str, Any]
RESUME = "--no-resume" not in sys.argv


def clock(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def cpu_best(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Least CPU seconds of ``repeat`` calls: on a shared machine, wall time measures the neighbours."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
    return best, result


def sliced(n: int) -> Workflow:
    wf = Workflow("scale")
    template = PythonOPTemplate(square, slices=Slices(input_parameter=["x"], output_parameter=["y"]))
    wf.add(Step("square", template, parameters={"x": list(range(n))}))
    return wf


class EnginePeak:
    """Samples the engine's high-water RSS (VmHWM) until it exits; the last sample is its peak."""

    def __init__(self, wf: Workflow) -> None:
        self.pid = int(_engine_pid(wf) or 0)
        self.peak_kb = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                with open(f"/proc/{self.pid}/status") as fh:
                    line = next(x for x in fh if x.startswith("VmHWM:"))
                self.peak_kb = max(self.peak_kb, int(line.split()[1]))
            except (OSError, StopIteration, ValueError):
                return
            time.sleep(0.1)

    def mb(self) -> float:
        self._thread.join(timeout=2)
        return self.peak_kb / 1024


def _engine_pid(wf: Workflow) -> int | None:
    from dflow_like.engine.local.state_store import StateStore  # the bench reads the engine's pid

    store = StateStore(wf._backend().workspace(wf.id).db_path, readonly=True)
    try:
        row = store.workflow_row() or {}
    finally:
        store.close()
    return row.get("engine_pid")


def one(n: int, hera: bool, run: bool) -> Row:
    fresh_home()
    row: Row = {"n": n}
    deps = dependencies(n)
    row["build"], wf = cpu_best(lambda: build_ours(deps))
    row["to_dict"], manifest = cpu_best(wf.to_dict)
    row["build+to_dict"] = row["build"] + row["to_dict"]
    row["lint"], problems = cpu_best(wf.lint)
    assert [p for p in problems if not p.startswith(("schema", "warning: "))] == [], problems[:3]
    row["lint warnings"] = sum(1 for p in problems if p.startswith("warning: "))
    row["manifest MB"] = len(json.dumps(manifest)) / 1e6
    if hera:
        row["hera build+to_dict"], _ = cpu_best(lambda: compile_hera(deps))
    if run:
        run_slice(n, row)
    row["user RSS MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def run_slice(n: int, row: Row) -> None:
    wf = sliced(n)
    cpu0 = cpu_of_children()
    row["submit"], _ = clock(wf.submit)
    start = time.perf_counter() - row["submit"]
    peak = EnginePeak(wf)
    phase = wf.wait(timeout=3600)
    row["run"] = time.perf_counter() - start
    assert phase == "Succeeded", wf.query_message()
    row["run ms/item"] = 1000 * row["run"] / n
    wf.query_status()  # reaps the engine, so its CPU (and its workers') is counted
    row["run CPU ms/item"] = 1000 * (cpu_of_children() - cpu0) / n  # engine + workers: load-independent
    row["engine RSS MB"] = peak.mb()
    row["query_step()"], steps = clock(wf.query_step)
    assert len(steps) == n + 2, len(steps)
    row["query_step(name, type)"], group = clock(lambda: wf.query_step(name="square", type="StepGroup"))
    assert len(group) == 1
    row["query_step(phase=Failed)"], _ = clock(lambda: wf.query_step(phase="Failed"))
    row["query_step(name=item)"], _ = clock(lambda: wf.query_step(name=steps[-1].name))
    cli = [sys.executable, "-m", "dflow_like.cli", "status", str(wf.id)]
    row["dflow-like status"], out = clock(lambda: subprocess.run(cli, capture_output=True, text=True, check=True))
    row["status lines"] = len(out.stdout.splitlines())
    listing = [sys.executable, "-m", "dflow_like.cli", "list"]  # every run's summary, none of its steps
    row["dflow-like list"], _ = clock(lambda: subprocess.run(listing, capture_output=True, text=True, check=True))
    if RESUME:
        resume_after_kill(n, row)


def resume_after_kill(n: int, row: Row) -> None:
    """Kill a second run's engine once half its items succeeded, then time ``resume()`` to Succeeded."""
    wf = sliced(n)
    wf.submit()
    pid = int(_engine_pid(wf) or 0)
    deadline = time.monotonic() + 3600
    while len(wf.query_step(phase="Succeeded")) < n // 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    os.kill(pid, signal.SIGKILL)
    while wf.query_status() not in ("Error", "Failed", "Succeeded"):
        time.sleep(0.1)
    done_before = len(wf.query_step(phase="Succeeded"))
    row["resume"], _ = clock(lambda: (wf.resume(), wf.wait(timeout=3600)))
    assert wf.query_status() == "Succeeded", wf.query_message()
    row["resumed items"] = n + 2 - done_before


def print_table(rows: list[Row]) -> None:
    keys = [k for k in rows[0] if k != "n"]
    sizes = "".join(f"{'N=' + str(r['n']):>12}" for r in rows)
    steps = ["x" + str(b["n"] // a["n"]) for a, b in itertools.pairwise(rows)]
    growth = "".join(f"{s:>10}" for s in steps)
    print(f"{'path':<28}{sizes}   growth {growth}")
    for key in keys:
        values = [r.get(key) for r in rows]
        cells = "".join(f"{v:>12.3f}" if isinstance(v, float) else f"{v!s:>12}" for v in values)
        ratios = ""
        for a, b in itertools.pairwise(values):
            ok = isinstance(a, (int, float)) and isinstance(b, (int, float)) and a
            ratios += f"{b / a:>10.1f}" if ok else f"{'':>10}"
        print(f"{key:<28}{cells}          {ratios}")
    for r in rows:
        if "hera build+to_dict" in r:
            print(f"N={r['n']}: Hera build+to_dict / ours = {r['hera build+to_dict'] / r['build+to_dict']:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--no-hera", action="store_true")
    parser.add_argument("--no-run-over", type=int, default=10**9, help="skip the local run above this N")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-resume", action="store_true", help="skip the kill-and-resume run")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, not args.no_hera, args.one <= args.no_run_over)))
        return
    with open("/proc/loadavg") as fh:
        print(f"load average at start: {' '.join(fh.read().split()[:3])} on {os.cpu_count()} CPUs")
    rows = []
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(n), "--no-run-over", str(args.no_run_over)]
        cmd += ["--no-hera"] if args.no_hera else []
        cmd += ["--no-resume"] if args.no_resume else []
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            print(f"N={n} failed:\n{done.stderr[-3000:]}", flush=True)
            break
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"N={n} done: {json.dumps(rows[-1])}", flush=True)
    print_table(rows)


if __name__ == "__main__":
    main()
