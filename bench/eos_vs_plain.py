"""``examples/eos.py`` end to end next to the same computation as a plain serial ASE script.

Run: python bench/eos_vs_plain.py [ROUNDS]     (default: 3)

Both are timed as a user runs them: ``python <script>`` in an empty directory, from
process start to exit (interpreter start-up and imports included), alternated so
they share the machine's load. The workflow's runs get a fresh dflow_like home.

Where the workflow's time goes (2 cores; ``state.db`` and engine times of a run, all
modules compiled): the script's start, imports (numpy and dflow_like; the OPs import
ASE where they use it) and submit (~0.12 s); the engine's start (~0.03 s); its import
of what the energies need (``ase.io``, EMT: ~0.34-0.38 s), while a worker forked before
it imports matplotlib for the plot on the other CPU (~0.15-0.2 s: ``PlotEOS`` draws
``FitEOS``'s fit and names no ASE module, ``prefetch.early_plan``); forking the other
workers, importing the engine's loop and opening it (~0.03 s); build and scale (~0.05
s); the 20 energies (~0.19 s on both CPUs: each a forked process of ~15 ms of CPU plus
~2-3 ms of fork in its worker, where the same single point costs 3 ms inline,
``python bench/fork_cost.py``); the fit (~0.02 s), then the plot (~0.15 s); the
engine's exit and the script's (~0.04 s). The plain script imports ASE, SciPy and
matplotlib one after the other (~0.55 s), computes its 20 points, fits and plots
(~0.2 s) and tears down (0.03-0.2 s). The workflow's gain is the matplotlib import
beside ASE's; its loss is one process per step (~0.14 s of CPU over the 20 energies
and the four steps around them), its submit and its engine's start: about even.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ensure_bytecode

ROOT = Path(__file__).resolve().parents[1]
OURS, PLAIN = "workflow (examples/eos.py)", "plain serial ASE"
SCRIPTS = {OURS: ROOT / "examples" / "eos.py", PLAIN: ROOT / "bench" / "_eos_plain.py"}


def run_once(script: Path) -> tuple[float, str]:
    with tempfile.TemporaryDirectory(prefix="dflow-like-eos-") as work:
        env = {**os.environ, "DFLOW_LIKE_HOME": os.path.join(work, "home")}
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(script)], cwd=work, env=env, capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - start
        if done.returncode != 0 or not Path(work, "eos.png").exists():
            raise SystemExit(f"{script} failed:\n{done.stdout}\n{done.stderr}")
        return seconds, done.stdout


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    ensure_bytecode()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")
    times: dict[str, list[float]] = {name: [] for name in SCRIPTS}
    for round_ in range(rounds):
        for name, script in SCRIPTS.items():
            seconds, _ = run_once(script)
            times[name].append(seconds)
            print(f"round {round_ + 1} {name:>26}: {seconds:.2f} s")
    ours, plain = times[OURS], times[PLAIN]
    for name, values in times.items():
        print(f"{name:>26}: {min(values):.2f}-{max(values):.2f} s, median {statistics.median(values):.2f} s")
    ratios = [round(o / p, 2) for o, p in zip(ours, plain, strict=True)]
    print(
        f"workflow / plain: best {min(ours) / min(plain):.2f}, median of rounds {statistics.median(ratios):.2f}, "
        f"faster in {sum(r < 1 for r in ratios)} of {len(ratios)} rounds, per round {ratios}"
    )


if __name__ == "__main__":
    main()
