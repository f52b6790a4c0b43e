"""The counters the views read (``state_store.child_counts``/``phase_counts``) equal a recount.

The engine keeps children by phase per parent and nodes by type and phase in the state
store as steps change phase (triggers, in the writing transaction), so a notebook refresh
reads a few rows instead of counting a 10,000-item run. Whatever changes phases (a run
with failures, a resume that reruns them, a retry that marks steps to run again by
``UPDATE``), the counters must equal what counting the nodes gives.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dflow_like import Step, Steps, Workflow
from dflow_like.engine.local import LocalBackend
from dflow_like.engine.local.state_store import StateStore, child_counts, phase_counts
from dflow_like.python import PythonOPTemplate
from dflow_like.view.source import plan_for, summarize

from .ops_counters import Flaky

TIMEOUT = 120
FAIL = [1, 4, 7]


def _counters_and_recount(db_path: Path) -> tuple[tuple[object, object], tuple[object, object]]:
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        parents = [str(r[0]) for r in db.execute("SELECT DISTINCT coalesce(parent_id, '') FROM nodes")]
        kept = (child_counts(db, parents), phase_counts(db))
        children: dict[str, dict[str, int]] = {}
        for parent, phase, n in db.execute("SELECT coalesce(parent_id, ''), phase, COUNT(*) FROM nodes GROUP BY 1, 2"):
            children.setdefault(str(parent), {})[str(phase)] = int(n)
        by_type = {
            (str(t), str(p)): int(n) for t, p, n in db.execute("SELECT type, phase, COUNT(*) FROM nodes GROUP BY 1, 2")
        }
        return kept, (children, by_type)
    finally:
        db.close()


def _check(wf: Workflow) -> dict[tuple[str, str], int]:
    db_path = LocalBackend().workspace(str(wf.id)).db_path
    kept, recount = _counters_and_recount(db_path)
    assert kept == recount
    return kept[1]  # type: ignore[return-value]


def _workflow(tmp_path: Path) -> Workflow:
    flag = tmp_path / "flag"
    flag.write_text("")
    inner = Steps("inner")
    inner.add(
        Step("square", PythonOPTemplate(Flaky), parameters={"x": "{{item}}", "fail": FAIL, "flag": str(flag)},
             with_param=list(range(10)))
    )  # fmt: skip
    wf = Workflow("counters")
    wf.add(Step("first", PythonOPTemplate(Flaky), parameters={"x": 0, "fail": [], "flag": str(flag)}))
    wf.add(Step("inner", inner))
    return wf


def test_counters_equal_a_recount_after_failures_a_resume_and_a_retry(tmp_path: Path) -> None:
    wf = _workflow(tmp_path)
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Failed"
    after_failures = _check(wf)
    assert after_failures[("Pod", "Failed")] == len(FAIL)
    assert summarize(wf, plan_for(wf)).failed_total == len(FAIL)

    (tmp_path / "flag").unlink()
    wf.resume()
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    after_resume = _check(wf)
    assert ("Pod", "Failed") not in after_resume
    assert after_resume[("Pod", "Succeeded")] == 11

    wf.retry(step="square")
    assert wf.wait(timeout=TIMEOUT) == "Succeeded"
    assert _check(wf) == after_resume
    summary = summarize(wf, plan_for(wf))
    assert summary.failed_total == 0 and summary.done == summary.total == 11


def test_a_state_file_from_before_the_counters_gets_them_filled_when_opened(tmp_path: Path) -> None:
    wf = _workflow(tmp_path)
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Failed"
    db_path = LocalBackend().workspace(str(wf.id)).db_path
    db = sqlite3.connect(db_path)
    for name in ("nodes_count_insert", "nodes_count_update", "nodes_count_delete"):
        db.execute(f"DROP TRIGGER {name}")
    db.execute("DROP TABLE child_counts")
    db.execute("DROP TABLE phase_counts")
    db.commit()
    db.close()
    assert summarize(wf, plan_for(wf)).failed_total == len(FAIL)  # read by counting, without counters
    StateStore(db_path).close()  # a writer (the engine on resume) adds and fills them
    assert _check(wf)[("Pod", "Failed")] == len(FAIL)


def test_a_refresh_reads_the_counters_not_the_items(tmp_path: Path) -> None:
    """The notebook view's summary takes a fan-out's item counts and the failed total from the
    counters: changed behind its back, the view shows what they say (it did not count the items)."""
    from dflow_like.view.plan import node_id

    wf = _workflow(tmp_path)
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Failed"
    db = sqlite3.connect(LocalBackend().workspace(str(wf.id)).db_path)
    group = node_id(str(wf.id), "/inner/square")
    db.execute("UPDATE child_counts SET n = n + 5000 WHERE parent_id = ? AND phase = 'Succeeded'", (group,))
    db.execute("UPDATE phase_counts SET n = n + 20 WHERE type = 'Pod' AND phase = 'Failed'")
    db.commit()
    db.close()
    summary = summarize(wf, plan_for(wf))
    assert summary.states["/inner/square"].items == {"Succeeded": 5007, "Failed": 3}
    assert summary.failed_total == 23 and len(summary.failures) == 3  # the first failed, and a count of all
