"""``dflow-like status`` after ``dflow-like retry ID STEP``: the steps a retry ran again stay in their place.

``query_step()`` lists steps by start time, as dflow's does: ``Workflow.query_step`` in
deepmodeling/dflow ``src/dflow/workflow.py`` sorts the debug mode's steps by
``startedAt``, and on Argo returns ``ArgoWorkflow.get_step`` (``src/dflow/argo_objects.py``),
which sorts ``status.nodes`` by ``startedAt``. A leaf step a retry runs again starts
anew (Argo deletes its pod node and creates another: ``FormulateRetryWorkflow`` in
argo-workflows ``workflow/util/util.go``), so it comes after the siblings it ran beside.
The ``status`` tree shows each container's children in workflow order instead
(``view/order.py``): it listed the re-run steps after their siblings.
"""

from __future__ import annotations

from pathlib import Path

from dflow_like import Step, Workflow
from dflow_like.python import PythonOPTemplate

from .ops_retry import Marked
from .test_cli import cli

TIMEOUT = 120


def _workflow(marker: Path) -> Workflow:
    """early, flaky, sq (a fan-out of 3), late side by side; then after. flaky and sq fail
    until ``marker`` exists."""
    op = PythonOPTemplate(Marked)
    wf = Workflow("order")
    wf.add([
        Step("early", op),
        Step("flaky", op, parameters={"marker": str(marker)}),
        Step("sq", op, parameters={"marker": str(marker), "x": "{{item}}"}, with_param=[0, 1, 2]),
        Step("late", op),
    ])  # fmt: skip
    wf.add(Step("after", op))
    return wf


def _names(status: str) -> list[tuple[int, str]]:
    """(depth, name) of each step line of ``dflow-like status`` (below its two header lines)."""
    lines = status.splitlines()[2:]
    return [((len(line) - len(line.lstrip())) // 2, line.split()[0]) for line in lines if line.strip()]


def test_status_lists_the_retried_steps_in_their_place(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    wf = _workflow(marker)
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Failed"
    marker.touch()

    retry = cli("retry", str(wf.id), "sq")  # sq, and flaky with it: a retry resumes the failed steps
    assert retry.stdout.strip() == f"{wf.id}: Succeeded"

    steps = _names(cli("status", str(wf.id)).stdout)
    assert steps[0] == (0, str(wf.id))
    assert [name for depth, name in steps if depth == 1] == ["early", "flaky", "sq", "late", "after"]
    assert [name.split(":")[0] for depth, name in steps if depth == 2] == ["sq(0", "sq(1", "sq(2"]


def test_query_step_lists_by_start_time_and_a_retried_group_keeps_its_first_start(tmp_path: Path) -> None:
    """By start time, as dflow's (module docstring). A container (the fan-out ``sq``, the
    run itself) keeps its first start when a retry enters it again, as the run's duration
    does (``Scheduler._first_start``): it stays before ``late``. The leaf ``flaky``, run
    again, started after every step it ran beside."""
    marker = tmp_path / "marker"
    wf = _workflow(marker)
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Failed"
    marker.touch()
    wf.retry("sq")
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"

    records = wf.query_step()
    starts = [r.start_time or 0.0 for r in records]
    assert starts == sorted(starts)
    root = records[0]
    assert root.parent_id is None
    assert [r.name for r in records if r.parent_id == root.id] == ["early", "sq", "late", "flaky", "after"]
