"""A dead worker is noticed and replaced, and no step is lost to it (issue 13, item 2).

Before: a killed idle worker stayed in the pool and every later step sent to it
errored with ``BrokenPipeError``; a step whose worker died was reported as "out of
memory?".
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from dflow_like import Step, Workflow, config
from dflow_like.python import PythonOPTemplate, Slices
from tests.polling import poll

from .worker_ops import gate, worker_pid

TIMEOUT = 60.0
ITEMS = 8


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(") ", 1)[1][:1] == "Z"
    except OSError:
        return True


def _fan_out() -> Step:
    template = PythonOPTemplate(worker_pid, slices=Slices(input_parameter=["x"], output_parameter=["worker"]))
    return Step("fan", template, parameters={"x": list(range(ITEMS))})


def test_a_killed_idle_worker_is_replaced_and_later_steps_all_run(tmp_path: Path) -> None:
    config["workers"] = 2
    wf = Workflow("dead-idle")
    first = Step("first", PythonOPTemplate(worker_pid), parameters={"x": 0})
    hold = Step("hold", PythonOPTemplate(gate), parameters={"directory": str(tmp_path)})
    wf.add([first, hold])  # "hold" keeps the other worker busy while the test kills this one
    wf.add(_fan_out())
    wf.submit()

    def first_done() -> bool:
        return [s.phase for s in wf.query_step(name="first")] == ["Succeeded"]

    poll(first_done, "step 'first'")
    killed = int(wf.query_step(name="first")[0].outputs.parameters["worker"].value)
    os.kill(killed, signal.SIGKILL)  # idle now: "hold" runs in the other worker
    poll(lambda: _gone(killed), f"worker {killed} to die")
    (tmp_path / "open-1").touch()

    assert wf.wait(timeout=TIMEOUT) == "Succeeded", wf.query_message()
    workers = wf.query_step(name="fan", type="StepGroup")[0].outputs.parameters["worker"].value
    assert len(workers) == ITEMS and killed not in workers


def test_a_step_whose_worker_dies_says_so_and_its_retry_runs_elsewhere(tmp_path: Path) -> None:
    config["workers"] = 2
    wf = Workflow("dead-busy")
    wf.add(Step("victim", PythonOPTemplate(gate, retry_on_error=1), parameters={"directory": str(tmp_path)}))
    wf.add(_fan_out())
    wf.submit()
    poll(lambda: (tmp_path / "worker-1").exists(), "the step to start")
    killed = int((tmp_path / "worker-1").read_text())
    os.kill(killed, signal.SIGKILL)  # its step dies with it (PR_SET_PDEATHSIG)
    poll(lambda: (tmp_path / "worker-2").exists(), "the retry to start")

    def says_why() -> bool:  # the engine commits records in batches: poll
        return any(f"worker process {killed} died while running the step" in s.message for s in wf.query_step())

    poll(says_why, "the first attempt's message")
    (tmp_path / "open-2").touch()

    assert wf.wait(timeout=TIMEOUT) == "Succeeded", wf.query_message()
    [victim] = wf.query_step(name="victim")
    assert victim.attempts == 2 and int(victim.outputs.parameters["worker"].value) != killed
    workers = wf.query_step(name="fan", type="StepGroup")[0].outputs.parameters["worker"].value
    assert len(workers) == ITEMS and killed not in workers
