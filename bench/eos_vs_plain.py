"""``examples/eos.py`` end to end next to the same computation as a plain serial ASE script.

Run: python bench/eos_vs_plain.py [ROUNDS]     (default: 3)

Both are timed as a user runs them: ``python <script>`` in an empty directory, from
process start to exit (interpreter start-up and imports included), alternated so
they share the machine's load. The workflow's runs get a fresh dflow_like home.

Where the workflow's time goes (2 cores, load ~3; ``python examples/eos.py`` with the
run's state.db times): the script's imports (~0.48 s: ``dflow_like.ops`` pulls in ASE,
as the plain script's imports do), submit (~0.03 s), the engine's start (~0.05 s: it is
forked from the script, ``engine/local/fork_start``, so it imports nothing again),
build and scale (~0.09 s), the 20 energies (~0.35 s: each its own forked process,
~12 ms of CPU each, while an idle worker imports matplotlib for the plot step,
``workers.prefetch``), fit and plot side by side (~0.13 s), the end of the run
(~0.1 s). The plain script imports ASE and matplotlib one after the other and computes
its 20 single points in ~0.06 s; the workflow wins back matplotlib's import (~0.25 s)
by importing it in parallel, and pays a process per step.
"""

from __future__ import annotations

import os
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
        print(f"{name:>26}: {min(values):.2f}-{max(values):.2f} s")
    ratios = [round(o / p, 2) for o, p in zip(ours, plain, strict=True)]
    print(f"workflow / plain: best {min(ours) / min(plain):.2f}, per round {ratios}")


if __name__ == "__main__":
    main()
