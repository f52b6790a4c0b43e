"""The 100-item program of ``bench/slices.py`` on dflow's local (debug) mode, side by side with ours.

dflow (PyPI ``pydflow``) pins an old ``argo-workflows``, so it cannot share our environment: it
gets a virtual environment of its own, created once and cached (``--venv``). The dflow program
is the same as ours (one step sliced over N items of a trivial ``@OP.function`` x -> x*x,
``Slices(input_parameter=["x"], output_parameter=["y"])``, no group_size), run with
``DFLOW_MODE=debug`` (dflow's ``config["mode"] = "debug"``; the program sets both). Then
``bench/slices.py N`` runs with the current interpreter, and the two are printed with their ratio.
CPU seconds are printed too: on a shared machine they move far less than wall seconds.

Run: python bench/dflow_slices.py [N] [--venv DIR] [--pydflow SPEC] [--attempts K] [--repeat R]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import venv
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_VENV = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dflow-like-bench" / "pydflow-venv"
PYDFLOW = "pydflow==1.8.134"  # the version whose source was read for this comparison
TARGET_RATIO = 30.0

# Runs inside the pydflow venv. Prints one line: "DFLOW_WALL <seconds> CPU <seconds>".
DFLOW_PROGRAM = textwrap.dedent(
    """
    import multiprocessing
    import resource
    import sys
    import time

    from dflow import Step, Workflow, config
    from dflow.python import OP, PythonOPTemplate, Slices

    config["mode"] = "debug"


    def cpu():
        # this process and every child it waited for: what the run cost, whatever else runs
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


    @OP.function
    def square(x: int) -> {"y": int}:
        return {"y": x * x}


    def main(n):
        wf = Workflow("slices")
        template = PythonOPTemplate(square, slices=Slices(input_parameter=["x"], output_parameter=["y"]))
        wf.add(Step("square", template, parameters={"x": list(range(n))}))
        cpu0 = cpu()
        t0 = time.perf_counter()
        wf.submit()
        while wf.query_status() in ("Pending", "Running"):
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        for worker in multiprocessing.active_children():  # dflow shuts its pools down without waiting:
            worker.join()  # reap them, or their CPU time (and their items') is not counted
        cpu_seconds = cpu() - cpu0
        phase = wf.query_status()
        if phase != "Succeeded":
            sys.exit(f"dflow workflow {wf.id} ended {phase}")
        items = [s for s in wf.query_step(name="square", phase="Succeeded") if s.type == "Pod"]
        if len(items) != n:
            sys.exit(f"dflow ran {len(items)} of {n} items")
        print(f"DFLOW_WALL {wall:.6f} CPU {cpu_seconds:.6f}")


    main(int(sys.argv[1]))
    """
)


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds from submit to Succeeded, engine start-up included
    cpu: float  # CPU seconds of everything the run used: steadier than wall on a busy machine


def ensure_venv(path: Path, spec: str) -> Path:
    """A venv with pydflow, created on first use; the stamp file marks a complete install."""
    python = path / "bin" / "python"
    stamp = path / ".dflow-like-bench-installed"
    if stamp.is_file() and stamp.read_text() == spec and python.exists():
        return python
    print(f"creating {path} with `pip install {spec}` (once; cached for later runs) ...", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", spec],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"`pip install {spec}` into {path} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    stamp.write_text(spec)
    return python


def run_dflow_once(python: Path, n: int) -> tuple[Timing | None, str]:
    """(timing, or None if the run failed; its output), in a fresh cwd that is removed after."""
    with tempfile.TemporaryDirectory(prefix="dflow-bench-") as tmp:
        script = Path(tmp) / "dflow_slices_program.py"
        script.write_text(DFLOW_PROGRAM)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DFLOW_", "PYTHONPATH"))}
        env["DFLOW_MODE"] = "debug"
        # A session of its own: whatever dflow leaves running afterwards is killed before
        # our run, so it never competes with it for the CPUs.
        with subprocess.Popen(
            [str(python), str(script), str(n)],
            cwd=tmp,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        ) as proc:
            try:
                stdout, stderr = proc.communicate(timeout=1800)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
    match = re.search(r"^DFLOW_WALL (\S+) CPU (\S+)$", stdout, re.MULTILINE)
    timing = Timing(float(match.group(1)), float(match.group(2))) if proc.returncode == 0 and match else None
    return timing, stdout + stderr


def run_dflow(python: Path, n: int, attempts: int) -> tuple[Timing, list[str]]:
    """(timing of the first successful run, why each earlier attempt failed).

    dflow's debug mode reads a slice's shared ``children`` file without the lock its writers
    hold, so a parallel slice sometimes dies of a JSONDecodeError; such runs are retried and
    counted, since the comparison is about the time of a run that works.
    """
    failures: list[str] = []
    output = ""
    for _ in range(attempts):
        timing, output = run_dflow_once(python, n)
        if timing is not None:
            return timing, failures
        errors = [line for line in output.splitlines() if re.match(r"^\w+(\.\w+)*(Error|Exception):", line)]
        lines = output.strip().splitlines()
        failures.append(errors[0] if errors else lines[-1] if lines else "no output")
    sys.exit(f"dflow failed {attempts} times out of {attempts}; last output:\n{output[-6000:]}")


def run_ours(n: int, repeat: int) -> tuple[Timing, str]:
    """(median-wall timing, its bench/slices.py line) of ``repeat`` runs of the same program on dflow_like."""
    runs: list[tuple[Timing, str]] = []
    for _ in range(repeat):
        proc = subprocess.run(
            [sys.executable, str(HERE / "slices.py"), str(n)], capture_output=True, text=True, timeout=600, check=False
        )
        wall, cpu = re.search(r"wall (\S+) s", proc.stdout), re.search(r"CPU (\S+) s", proc.stdout)
        if proc.returncode != 0 or not wall or not cpu:
            sys.exit(f"bench/slices.py failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr[-4000:]}")
        runs.append((Timing(float(wall.group(1)), float(cpu.group(1))), proc.stdout.strip()))
    runs.sort(key=lambda run: run[0].wall)
    return runs[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100, help="items in the slice (default 100)")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help=f"pydflow venv (default {DEFAULT_VENV})")
    parser.add_argument("--pydflow", default=PYDFLOW, help=f"pip requirement for dflow (default {PYDFLOW})")
    parser.add_argument("--attempts", type=int, default=5, help="dflow runs tried before giving up (default 5)")
    parser.add_argument("--repeat", type=int, default=3, help="our runs, of which the median is shown (default 3)")
    args = parser.parse_args()

    python = ensure_venv(args.venv.expanduser().resolve(), args.pydflow)
    dflow, dflow_failures = run_dflow(python, args.n, args.attempts)
    ours, ours_line = run_ours(args.n, args.repeat)
    n = args.n
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"one step sliced over N={n} items (x -> x*x); {os.cpu_count()} cores, load average {load}")
    print(f"  {'engine':<28} {'wall s':>8} {'ms/item':>9} {'CPU s':>8} {'CPU ms/item':>12}")
    rows = [(f"dflow {args.pydflow.split('==')[-1]} (debug mode)", dflow), ("dflow_like (local engine)", ours)]
    for label, t in rows:
        print(f"  {label:<28} {t.wall:>8.2f} {1000 * t.wall / n:>9.1f} {t.cpu:>8.2f} {1000 * t.cpu / n:>12.1f}")
    ratio = dflow.wall / ours.wall
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(
        f"  dflow_like takes {ratio:.1f}x less wall time per item ({verdict} the {TARGET_RATIO:.0f}x target), "
        f"{dflow.cpu / ours.cpu:.1f}x less CPU"
    )
    print(f"  bench/slices.py (median of {args.repeat}): {ours_line}")
    if dflow_failures:
        print(f"  dflow failed {len(dflow_failures)} attempt(s) before this run: {'; '.join(dflow_failures)}")


if __name__ == "__main__":
    main()
