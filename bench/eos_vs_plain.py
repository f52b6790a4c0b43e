"""``examples/eos.py`` end to end next to the same computation as a plain serial ASE script.

Run: python bench/eos_vs_plain.py [ROUNDS]     (default: 3)

Both are timed as a user runs them: ``python <script>`` in an empty directory, from
process start to exit (interpreter start-up and imports included), alternated so
they share the machine's load. The workflow's runs get a fresh dflow_like home.

Where the workflow's time goes (2 cores; ``state.db`` and engine times of a run, all
modules compiled): the script's start, imports (numpy and dflow_like; the OPs import
ASE where they use it) and submit (~0.12-0.14 s); the engine's start (~0.03 s); its
import of what the energies need (``ase.io``, EMT: ~0.33-0.37 s, the other CPU idle:
the plot step's module names ``ase.eos``, so no worker imports matplotlib beside it,
``prefetch.early_plan`` says why); forking the workers and importing the engine's loop
(~0.03 s); build and scale (~0.05 s); the 20 energies (~0.2-0.3 s: each a forked
process of ~12 ms of CPU, where the same single point costs 3 ms inline,
``python bench/fork_cost.py``, while an idle worker imports matplotlib for the plot);
the fit (~0.015 s), then the plot of its curve (~0.16 s); the engine's exit and the
script's (~0.04 s). The plain script imports ASE, SciPy and matplotlib one after the
other (~0.6 s), computes its 20 points, fits and plots (~0.2 s) and spends 0.12-0.2 s
in interpreter teardown (matplotlib's and SciPy's). What the workflow gains by
importing matplotlib beside the energies its steps' own processes spend again
(~0.3-0.4 s of CPU for 25 steps, mostly copy-on-write page faults), with its submit
and engine start.
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
