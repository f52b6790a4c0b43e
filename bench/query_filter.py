"""``query_step`` filters on a local run of N steps, read by SQLite (``engine/local/sql_filter.py``).

The state of a finished fan-out of N items (one StepGroup, N pods) is written directly
(no engine), then each query is timed through ``Workflow(id=...).query_step`` (best of 3,
wall seconds). A filter selecting a few rows must not cost what the whole run costs.

    python bench/query_filter.py [N]      (default 100000)
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable

from _common import fresh_home

from dflow_like import Workflow
from dflow_like._config import home_dir
from dflow_like.engine.local.state_store import StateStore
from dflow_like.engine.local.workspace import Workspace
from dflow_like.records import StepRecord


def write_run(n: int) -> str:
    ws = Workspace(home_dir(), "fan-bench")
    ws.create()
    StateStore.create(ws.db_path, ws.id, "fan", time.time(), owner_pid=0)
    store = StateStore(ws.db_path)
    store.update_workflow(phase="Succeeded")
    store.save_node(StepRecord(id="g", name="fan", workflow_id=ws.id, type="StepGroup", phase="Succeeded"))
    for i in range(n):
        phase = "Failed" if i % 1000 == 7 else "Succeeded"
        store.save_node(
            StepRecord(id=f"p{i}", name=f"fan({i}:{i})", workflow_id=ws.id, parent_id="g", phase=phase,
                       key=f"k-{i}", start_time=float(i), end_time=float(i) + 1, progress="1/1")
        )  # fmt: skip
    store.close()
    return ws.id


def best(fn: Callable[[], list[StepRecord]]) -> tuple[float, int]:
    times, found = [], 0
    for _ in range(3):
        start = time.perf_counter()
        found = len(fn())
        times.append(time.perf_counter() - start)
    return min(times), found


def main(n: int) -> None:
    home = fresh_home()
    try:
        wf = Workflow(id=write_run(n))
        last = f"fan({n - 1}:{n - 1})"
        queries: dict[str, Callable[[], list[StepRecord]]] = {
            "query_step()": wf.query_step,
            "query_step(name=item)": lambda: wf.query_step(name=last),
            "query_step(name, type)": lambda: wf.query_step(name="fan", type="StepGroup"),
            "query_step(phase=Failed)": lambda: wf.query_step(phase="Failed"),
            "query_step(key=...)": lambda: wf.query_step(key=["k-5", "k-6"]),
            "query_step(name=regex)": lambda: wf.query_step(name=r"fan\(99+:.*"),
        }
        print(f"N = {n}")
        for label, query in queries.items():
            seconds, found = best(query)
            print(f"  {label:28s} {seconds:8.3f} s  {found:7d} records")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
