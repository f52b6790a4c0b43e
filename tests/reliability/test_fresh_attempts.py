"""Item 1: a re-run (after resume, as after a retry) starts in a fresh attempt directory;
the killed attempt stays on disk for inspection."""

from __future__ import annotations

from pathlib import Path

from dflow_like import Step, Workflow
from dflow_like.engine.local.backend import LocalBackend
from dflow_like.python import PythonOPTemplate

from .helpers import TIMEOUT, alive, kill_engine, poll, read_pid
from .ops_rel import Collect


def test_resume_reruns_a_killed_step_in_a_fresh_directory(tmp_path: Path) -> None:
    gate, started = tmp_path / "gate", tmp_path / "started"
    gate.touch()
    wf = Workflow("fresh")
    wf.add(Step("collect", PythonOPTemplate(Collect), parameters={"gate": str(gate), "started": str(started)}))
    wf.submit()
    first_pid = read_pid(started)
    kill_engine(wf)
    poll(lambda: not alive(first_pid), "the step's process to die with its engine")
    # the record of the killed attempt may not be committed yet: find its files on disk
    steps = Path(LocalBackend().workspace(wf.id or "").root, "steps")
    (old,) = [p.parent.parent for p in steps.glob(f"*/*/workdir/out/run-{first_pid}.txt")]
    gate.unlink()
    started.unlink()

    wf.resume()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded", wf.query_step(name="collect")[0].message
    rec = wf.query_step(name="collect")[0]
    assert rec.outputs.parameters["lines"].value == 1  # nothing appended by the killed attempt
    out = rec.outputs.artifacts["out"].local_path
    assert sorted(p.name for p in Path(out or "").rglob("run-*")) == [f"run-{read_pid(started)}.txt"]
    # the killed attempt is kept as it was, beside the new one
    new = Path(rec.workdir or "")
    assert new != old and new.parent.parent == old.parent.parent
    assert (old / "lines.txt").read_text() == f"{first_pid}\n"
