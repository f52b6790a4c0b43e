"""Fault injection: kill -9 the engine at random moments and resume; concurrent submissions.

Part 1: a ~60-step workflow (a 5-step chain passing an artifact, a 4-step fan-out reading
it, a 50-item sliced step writing an artifact per item, a final sum over them) is killed
with SIGKILL at a random moment of each trial, then resumed. Every step run appends
``<key> <pid>`` to a shared log, so a re-run of a step whose success was already recorded
shows as a line written after the kill. Prints trials that ended Succeeded with correct
outputs, wrong outputs, and re-runs of recorded-Succeeded steps.

Part 2: N concurrent submissions of a small run while two reader processes list runs
and ask each one's status in a loop; prints runs Succeeded, false ``Error`` readings and
reader crashes.

Run: python bench/kill_resume.py [TRIALS] [SUBMISSIONS] [SEED]    (defaults 20 20 1)
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import fresh_home

from dflow_like import Step, Workflow
from dflow_like.engine.local.backend import LocalBackend
from dflow_like.python import OP, Artifact, PythonOPTemplate, Slices

SLICE_ITEMS = 50
CHAIN = 5
FAN = 4


def _note(log: str, key: str) -> None:
    with open(log, "a") as fh:  # one short write per run: appends from many processes stay whole lines
        fh.write(f"{key} {os.getpid()}\n")


@OP.function
def link(x: int, prev: Artifact(Path, optional=True), log: str, key: str) -> {"x": int, "out": Artifact(Path)}:  # type: ignore[valid-type]  # noqa: F821
    time.sleep(0.05)
    text = prev.read_text() if prev is not None else ""
    Path("acc.txt").write_text(text + f"{x + 1}\n")
    _note(log, key)
    return {"x": x + 1, "out": Path("acc.txt")}


@OP.function
def reader(src: Artifact(Path), k: int, log: str, key: str) -> {"n": int}:  # type: ignore[valid-type]  # noqa: F821
    time.sleep(0.05)
    n = sum(int(v) for v in src.read_text().split()) * k
    _note(log, key)
    return {"n": n}


@OP.function
def item(x: int, log: str) -> {"y": int, "f": Artifact(Path)}:  # type: ignore[valid-type]  # noqa: F821
    time.sleep(0.02)
    os.mkdir("out")  # fails if a re-run lands in a used directory
    Path("out", "v.txt").write_text(str(x * x))
    _note(log, f"slice-{x}")
    return {"y": x * x, "f": Path("out")}


@OP.function
def total(ys: list[int], fs: Artifact(list[Path]), log: str) -> {"sum": int, "files": int}:  # type: ignore[valid-type]  # noqa: F821
    files = [p for f in fs for p in Path(f).rglob("v.txt")]
    _note(log, "total")
    return {"sum": sum(ys), "files": sum(int(p.read_text()) for p in files)}


def build(log: str) -> Workflow:
    wf = Workflow("killres")
    last = None
    for i in range(CHAIN):
        arts = {"prev": last.outputs.artifacts["out"]} if last is not None else {}
        x = last.outputs.parameters["x"] if last is not None else 0
        step = Step(f"chain{i}", PythonOPTemplate(link), parameters={"x": x, "log": log, "key": f"chain-{i}"},
                    artifacts=arts, key=f"chain-{i}")  # fmt: skip
        wf.add(step)
        last = step
    assert last is not None
    fans = [
        Step(
            f"fan{k}",
            PythonOPTemplate(reader),
            parameters={"k": k, "log": log, "key": f"fan-{k}"},
            artifacts={"src": last.outputs.artifacts["out"]},
            key=f"fan-{k}",
        )
        for k in range(FAN)
    ]
    slices = Slices(input_parameter=["x"], output_parameter=["y"], output_artifact=["f"])
    sliced = Step("slice", PythonOPTemplate(item, slices=slices),
                  parameters={"x": list(range(SLICE_ITEMS)), "log": log}, key="slice-{{item}}")  # fmt: skip
    wf.add([*fans, sliced])
    wf.add(
        Step(
            "total",
            PythonOPTemplate(total),
            key="total",
            parameters={"ys": sliced.outputs.parameters["y"], "log": log},
            artifacts={"fs": sliced.outputs.artifacts["f"]},
        )
    )
    return wf


EXPECTED_SUM = sum(x * x for x in range(SLICE_ITEMS))
EXPECTED_NS = sum(range(1, CHAIN + 1)) * sum(range(FAN))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


def _poll(condition: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit("bench: a bounded wait ran out")
        time.sleep(0.01)


def _lines(log: Path) -> list[tuple[str, int]]:
    if not log.exists():
        return []
    return [(k, int(p)) for k, p in (line.split() for line in log.read_text().splitlines() if line.strip())]


def _outputs_ok(wf: Workflow) -> bool:
    rec = wf.query_step(name="total")
    if not rec or rec[0].phase != "Succeeded":
        return False
    out = rec[0].outputs.parameters
    ns = sum(r.outputs.parameters["n"].value for r in wf.query_step(phase="Succeeded") if r.name.startswith("fan"))
    return out["sum"].value == EXPECTED_SUM and out["files"].value == EXPECTED_SUM and ns == EXPECTED_NS


def baseline(work: Path) -> float:
    wf = build(str(work / "base.log"))
    t0 = time.perf_counter()
    wf.submit()
    if wf.wait(timeout=600) != "Succeeded" or not _outputs_ok(wf):
        raise SystemExit(f"bench: the un-killed run failed: {wf.query_message()}")
    return time.perf_counter() - t0


def trial(work: Path, n: int, at: float) -> tuple[bool, bool, int, str]:
    """(succeeded, outputs correct, re-runs of recorded-Succeeded steps, note)."""
    log = work / f"trial{n}.log"
    wf = build(str(log))
    wf.submit()
    time.sleep(at)  # a bench, not a test: the kill moment is the point
    pid = int(LocalBackend()._row(wf.id or "")["engine_pid"])
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _poll(lambda: not _alive(pid))
    _poll(lambda: not any(_alive(p) for _, p in _lines(log)))  # the killed steps are gone
    done = {r.key for r in wf.query_step(phase="Succeeded") if r.key and r.type == "Pod"}
    before = len(_lines(log))
    if wf.query_status() == "Succeeded":
        return True, _outputs_ok(wf), 0, "finished before the kill"
    wf.resume()
    phase = wf.wait(timeout=600)
    reruns = sum(1 for key, _ in _lines(log)[before:] if key in done)
    return phase == "Succeeded", _outputs_ok(wf), reruns, "" if phase == "Succeeded" else wf.query_message()


_READER = """
import json, os, sys
from dflow_like import Workflow, list_workflows
stop, errors, crashes, reads = sys.argv[1], 0, [], 0
while not os.path.exists(stop):
    try:
        for wf_id in list_workflows():
            reads += 1
            errors += Workflow(id=wf_id).query_status() == "Error"
    except Exception as exc:
        crashes.append(f"{type(exc).__name__}: {exc}")
print(json.dumps({"errors": errors, "crashes": crashes, "reads": reads}))
"""


@OP.function
def tiny(x: int) -> {"y": int}:  # type: ignore[valid-type]  # noqa: F821
    return {"y": x + 1}


def concurrent(work: Path, n: int) -> None:
    stop = work / "stop"
    readers = [subprocess.Popen([sys.executable, "-c", _READER, str(stop)], stdout=subprocess.PIPE, text=True)
               for _ in range(2)]  # fmt: skip

    def submit(i: int) -> str:
        wf = Workflow(f"conc{i}")
        a = Step("a", PythonOPTemplate(tiny), parameters={"x": i})
        wf.add(a)
        wf.add(Step("b", PythonOPTemplate(tiny), parameters={"x": a.outputs.parameters["y"]}))
        return wf.submit()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(n) as pool:
        ids = list(pool.map(submit, range(n)))
    phases = [Workflow(id=i).wait(timeout=600) for i in ids]
    wall = time.perf_counter() - t0
    stop.touch()
    reports = [json.loads(r.communicate(timeout=60)[0]) for r in readers]
    crashes = [c for r in reports for c in r["crashes"]]
    print(f"{n} concurrent submissions, 2 readers: {phases.count('Succeeded')}/{n} Succeeded in {wall:.1f} s; "
          f"false Error readings {sum(r['errors'] for r in reports)} of {sum(r['reads'] for r in reports)} reads; "
          f"reader crashes {len(crashes)}")  # fmt: skip
    for crash in crashes[:3]:
        print(f"  crash: {crash}")


def main() -> None:
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    submissions = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    work = Path(fresh_home()) / "bench"
    work.mkdir()
    full = baseline(work)
    print(f"workflow of {CHAIN + FAN + SLICE_ITEMS + 1} steps: {full:.1f} s un-killed")
    ok = correct = reruns = 0
    for n in range(trials):
        at = rng.uniform(0.05, 0.7 * full)
        succeeded, right, again, note = trial(work, n, at)
        ok += succeeded
        correct += right
        reruns += again
        if not (succeeded and right) or again or note:
            print(f"  trial {n} (kill at {at:.2f} s): succeeded={succeeded} correct={right} re-runs={again} {note}")
    print(f"kill -9 at {trials} random moments, resumed: {ok}/{trials} Succeeded, {correct}/{trials} correct outputs, "
          f"{trials - correct} wrong, {reruns} re-runs of recorded-Succeeded steps")  # fmt: skip
    if submissions:
        concurrent(work, submissions)


if __name__ == "__main__":
    main()
