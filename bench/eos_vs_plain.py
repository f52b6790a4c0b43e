"""``examples/eos.py`` end to end next to the same computation as a plain serial ASE script.

Run: python bench/eos_vs_plain.py [ROUNDS]     (default: 3)

Both are timed as a user runs them: ``python <script>`` in an empty directory, from
process start to exit (interpreter start-up and imports included), alternated so
they share the machine's load. The workflow's runs get a fresh dflow_like home.

Where the workflow's time goes (2 cores, quiet): the script's own imports (~0.45 s;
``dflow_like.ops`` pulls in ase.build and ase.io), the engine's start-up, which imports
the same stack again before its first step (~0.45 s), five dependent stages, and
matplotlib's import in the plot step (~0.3 s). The plain script imports once and its
20 EMT single points take milliseconds, so parallel steps cannot win back a second
interpreter's imports here; that needs an engine started from the submitting process
(a fork that inherits its imports) or kept warm between runs.
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
