"""``examples/eos.py`` end to end next to the same computation as a plain serial ASE script.

Run: python bench/eos_vs_plain.py [ROUNDS]     (default: 3)

Both are timed as a user runs them: ``python <script>`` in an empty directory, from
process start to exit (interpreter start-up and imports included), alternated so
they share the machine's load. The workflow's runs get a fresh dflow_like home.

Where the workflow's time goes (2 cores, load ~0.3; ``state.db`` times of a run, and
``perf`` over all its processes): the script's imports (~0.09 s: numpy and dflow_like;
the OPs import ASE where they use it), building and submitting (~0.05 s), the
engine's start (~0.34 s, of which 0.28 s importing ``ase.io`` and EMT once for every
worker, one CPU idle meanwhile), build and scale (~0.06 s), the 20 energies (~0.29 s:
each a forked process of ~12 ms of CPU plus ~2.5 ms for its ``fork()`` in the worker,
where the same single point costs 3 ms inline; an idle worker imports matplotlib for
the plot step meanwhile, ``workers.prefetch``), fit and plot side by side (~0.14 s),
the script's exit (~0.03 s). The plain script imports ASE, scipy and matplotlib one
after the other (~0.6-0.7 s), computes its 20 points in ~0.06 s, plots (~0.14 s) and
spends 0.12-0.18 s in interpreter teardown (matplotlib's). What stands between the
two: the process of its own each step runs in. A child that runs the single point
writes ~1,100 pages it shares with its worker (``python bench/fork_cost.py``:
1,368 minor faults against 267 for an empty child), 10-12 ms of CPU that a second
point in the same process would not pay (3 ms).
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
