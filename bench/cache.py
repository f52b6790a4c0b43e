"""Step caching on the EOS example: what runs again, and how long a fully cached re-run takes.

The EOS example and a copy of its OP package (``eos_ops``, so the bench can edit it)
are placed in a scratch folder; each run is a fresh ``python`` process (as a user
re-running the script), with ``Workflow(..., cache=True)``. Prints, per scenario, the
OPs that ran, the time from ``submit()`` to ``Succeeded``, the CPU time of the engine
process and its workers (start-up included: Python, then the OP modules the workflow
imports, ASE here; on a busy machine the wall time is longer than this), the engine's
run from its first step to its end, and the wall time of the whole script.

Run: python bench/cache.py
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _common import fresh_home

ROOT = Path(__file__).resolve().parents[1]

DRIVER = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from eos import build_workflow
from dflow_like import Workflow
wf = build_workflow()
wf.cache = True
def cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
start, cpu0 = time.perf_counter(), cpu()
wf.submit()
phase = wf.wait()
elapsed = time.perf_counter() - start
pods = [s for s in wf.query_step() if s.type == "Pod"]
root = [s for s in wf.query_step() if s.parent_id is None][0]
print(json.dumps({
    "phase": phase, "seconds": elapsed, "cpu": cpu() - cpu0, "engine": (root.end_time or 0) - (root.start_time or 0),
    "ran": sorted(s.name for s in pods if not s.message.startswith("cached from")),
}))
"""


def run(folder: Path) -> dict[str, object]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(folder / "_driver.py"), str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process"] = time.perf_counter() - start
    return result


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise SystemExit(f"{path}: {old!r} not found")
    path.write_text(text.replace(old, new, 1))


def summary(ran: list[str]) -> str:
    items = [n for n in ran if n.startswith("energy(")]
    others = [n for n in ran if not n.startswith("energy(")]
    shown = others + ([f"{len(items)} energy items"] if len(items) > 3 else items)
    return f"{len(ran):>2} OPs ran ({', '.join(shown) or 'none'})"


def report(label: str, result: dict[str, object]) -> None:
    assert result["phase"] == "Succeeded", result
    ran = result["ran"]
    assert isinstance(ran, list)
    print(
        f"{label:<46} {summary(ran):<58} submit->Succeeded {result['seconds']:.2f} s "
        f"(engine process CPU {result['cpu']:.2f} s, its run {result['engine']:.3f} s), "
        f"whole script {result['process']:.2f} s"
    )


def main() -> None:
    home = fresh_home()
    folder = Path(home) / "project"
    shutil.copytree(ROOT / "ops", folder / "eos_ops", ignore=shutil.ignore_patterns("__pycache__"))
    source = (ROOT / "examples" / "eos.py").read_text().replace("from dflow_like.ops import", "from eos_ops import")
    (folder / "eos.py").write_text(source)
    (folder / "_driver.py").write_text(DRIVER)
    report("first run (empty cache)", run(folder))
    for i in range(3):
        report(f"unchanged re-run #{i + 1}", run(folder))
    edit(folder / "eos_ops" / "relax.py", "from __future__", "# an edited comment\nfrom __future__")
    report("comment edited in an unrelated module (relax)", run(folder))
    edit(folder / "eos_ops" / "energy.py", "energy = float(", "energy = 0.0 + float(")
    report("a line of SinglePoint.execute edited", run(folder))
    text = (folder / "eos.py").read_text()
    (folder / "eos.py").write_text(re.sub(r"(SCALES = .*\n)", r"\1SCALES[7] = 1.0123\n", text, count=1))
    report("one scaling factor changed (item 7)", run(folder))


if __name__ == "__main__":
    main()
