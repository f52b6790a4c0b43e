"""A run with many steps stays readable: filtered queries and a summarising status (issue 18)."""

from __future__ import annotations

import asyncio
import pickle
import subprocess
import sys

import pytest

from dflow_like import Step, Workflow
from dflow_like.python import OP, OPIO, OPIOSign, PythonOPTemplate, Slices
from dflow_like.records import IORecord

N = 30  # more than the status shows one by one


class Picky(OP):
    """Squares x; fails on every x ending in 7."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": int})

    def execute(self, op_in: OPIO) -> OPIO:
        if op_in["x"] % 10 == 7:
            raise ValueError(f"x ends in 7: {op_in['x']}")
        return OPIO({"y": op_in["x"] ** 2})


def fan_out() -> Workflow:
    template = PythonOPTemplate(Picky, slices=Slices(input_parameter=["x"], output_parameter=["y"]))
    wf = Workflow("many")
    wf.add(Step("square", template, parameters={"x": list(range(N))}, continue_on_failed=True))
    wf.submit()
    assert wf.wait(timeout=300) == "Succeeded", wf.query_message()
    return wf


def test_query_step_filters_and_lazy_records() -> None:
    wf = fan_out()
    everything = wf.query_step()
    assert len(everything) == N + 2  # the run, the group, its items
    group = wf.query_step(name="square", type="StepGroup")
    assert len(group) == 1 and group[0].outputs.parameters["y"].value == [
        None if i % 10 == 7 else i * i
        for i in range(N)  # failed items keep their places
    ]
    assert len(wf.query_step(name="square")) == N + 1  # a name matches the step and its items
    (item,) = wf.query_step(name="square(12:12)")
    assert item.inputs.parameters["x"].value == 12 and item.outputs.parameters["y"].value == 144
    failed = ["square", "square(17:17)", "square(27:27)", "square(7:7)"]  # the group too
    assert sorted(r.name for r in wf.query_step(phase="Failed")) == failed
    assert len(wf.query_step(parent_id=group[0].id)) == N
    assert [r.name for r in wf.query_step(name=r"square\(2\d:2\d\)", phase=["Failed", "Error"])] == ["square(27:27)"]
    assert wf.query_step(name=["square(1:1)", "square(2:2)"], key="nope") == []
    copy = pickle.loads(pickle.dumps(item))
    assert copy == item and copy.outputs.parameters["y"].value == 144
    assert item.outputs == IORecord(dict(item.outputs.parameters)) != IORecord()


def status(*args: str) -> list[str]:
    cmd = [sys.executable, "-m", "dflow_like.cli", "status", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout.splitlines()


def test_status_of_a_large_fan_out_summarises_unless_all() -> None:
    wf = fan_out()
    lines = status(str(wf.id))
    assert f"    [{N} steps: {N - 3} Succeeded, 3 Failed]" in lines
    items = [line.split()[0] for line in lines if line.startswith("    square(")]
    assert items == ["square(7:7)", "square(17:17)", "square(27:27)"]  # only those not Succeeded
    assert lines[-1] == f"{N + 2} steps: {N - 2} Succeeded, 4 Failed"
    every = status(str(wf.id), "--all")
    assert len([line for line in every if line.startswith("    square(")]) == N


def test_fan_out_items_start_in_a_window_and_come_back_in_order() -> None:
    """The engine starts at most a window of a fan-out's items at once (memory), in item order."""
    from dflow_like.engine.local.scheduler import _gather_window

    in_flight, peak, started = 0, 0, []

    async def item(i: int) -> int:
        nonlocal in_flight, peak
        started.append(i)
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.001 * (i % 3))
        in_flight -= 1
        return i * i

    assert asyncio.run(_gather_window((item(i) for i in range(100)), 8)) == [i * i for i in range(100)]
    assert peak == 8 and started[:8] == list(range(8))

    async def cancelled() -> None:
        task = asyncio.ensure_future(_gather_window((item(i) for i in range(100, 200)), 4))
        while len(started) < 4:
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    started.clear()
    asyncio.run(cancelled())
    assert len(started) < 100  # terminated: the items not started yet never start
