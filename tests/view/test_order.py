"""Workflow order for a tree of a run's steps (``view/order.py``), whatever order they started in."""

from __future__ import annotations

from dflow_like import DAG, Step, Steps, Task, Workflow
from dflow_like.python import PythonOPTemplate
from dflow_like.records import StepRecord
from dflow_like.view.order import places, sort_siblings
from dflow_like.view.plan import node_id, plan_of
from tests.cli.ops_retry import Marked

WF = "order-abcde"


def _rec(path: str, name: str, start: float, kind: str = "Pod", parent: str = "") -> StepRecord:
    return StepRecord(
        id=node_id(WF, path), name=name, workflow_id=WF, parent_id=node_id(WF, parent), type=kind, start_time=start
    )


def test_steps_come_by_stage_then_as_written_and_dag_tasks_by_depth() -> None:
    op = PythonOPTemplate(Marked)
    report = Task("report", op, dependencies=["collect"])  # written before the task it depends on
    post = DAG("post", tasks=[report, Task("collect", op)])
    wf = Workflow("order", steps=Steps("main"))
    wf.add([Step("a", op), Step("b", op)])
    wf.add(Step("post", post))
    order = places(plan_of(wf.entrypoint, wf.name), WF)

    started = [_rec("/post", "post", 3.0, "DAG"), _rec("/b", "b", 2.0), _rec("/a", "a", 1.0)]
    assert [r.name for r in sort_siblings(started, None, order)] == ["a", "b", "post"]
    tasks = [_rec("/post/report", "report", 1.0, parent="/post"), _rec("/post/collect", "collect", 2.0, parent="/post")]
    assert [r.name for r in sort_siblings(tasks, started[0], order)] == ["collect", "report"]


def test_items_come_by_index_and_unplanned_steps_keep_their_order() -> None:
    group = _rec("/sq", "sq", 0.0, "StepGroup")
    items = [_rec(f"/sq({i})", f"sq({i}:{i * 10})", float(-i), parent="/sq") for i in (2, 10, 0)]
    assert [r.name for r in sort_siblings(items, group, {})] == ["sq(0:0)", "sq(2:20)", "sq(10:100)"]
    inner = [_rec("/r/x", "x", 2.0, parent="/r"), _rec("/r/y", "y", 1.0, parent="/r")]  # inside a recursion
    assert sort_siblings(inner, None, {}) == inner
