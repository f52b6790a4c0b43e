"""``query_step``'s filter: one rule (``engine/step_filter.py``), the same answers from the
Python predicate (Argo) and from the local engine's SQL (``engine/local/sql_filter.py``)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dflow_like import Workflow
from dflow_like.engine.local.sql_filter import register_functions, sql_where
from dflow_like.engine.local.state_store import StateStore
from dflow_like.engine.local.workspace import Workspace
from dflow_like.engine.step_filter import Criterion, StepFilter, name_matches
from dflow_like.records import StepRecord


def _rec(name: str, **kw: str | None) -> StepRecord:
    return StepRecord(id=str(kw.pop("id", name)), name=name, workflow_id="w-abcde", **kw)  # type: ignore[arg-type]


RECORDS = [
    _rec("relax", phase="Succeeded", key="r0", parent_id="root", type="StepGroup"),
    _rec("relax(0:a)", phase="Failed", parent_id="relax"),
    _rec("relax(1:b)", phase="Succeeded", parent_id="relax"),
    _rec("relaxed", phase="Succeeded", type="Steps", parent_id="root"),
    _rec("energy-3", phase="Running", key="e3", parent_id="root"),
]


def _names(**criteria: Criterion) -> list[str]:
    return [r.name for r in StepFilter.of(**criteria).select(RECORDS)]  # type: ignore[arg-type]


def test_a_name_selects_the_step_and_its_slice_items_not_a_longer_name() -> None:
    # dflow's argo_objects.match: n == name or n.find(name + "(") == 0
    assert _names(name="relax") == ["relax", "relax(0:a)", "relax(1:b)"]


def test_a_name_with_a_regex_character_also_selects_the_names_it_fully_matches() -> None:
    assert _names(name="energy-[0-9]+") == ["energy-3"]
    assert _names(name="relax.*") == ["relax", "relax(0:a)", "relax(1:b)", "relaxed"]
    assert _names(name="elax.*") == []  # a full match, not a search
    assert name_matches("relax[", "relax[")  # not a valid pattern: no error, the exact name still matches
    assert _names(name="ener[") == []


def test_lists_are_alternatives_and_criteria_combine() -> None:
    assert _names(name=["relaxed", "energy-3"]) == ["relaxed", "energy-3"]
    assert _names(phase=["Failed", "Running"]) == ["relax(0:a)", "energy-3"]
    assert _names(name="relax", phase="Succeeded") == ["relax", "relax(1:b)"]
    assert _names(key="e3") == ["energy-3"]
    assert _names(id=("relaxed",)) == ["relaxed"]
    assert _names(type="Steps") == ["relaxed"]
    assert _names(parent_id="relax") == ["relax(0:a)", "relax(1:b)"]
    assert _names(name=[]) == [] and _names(key=[]) == []
    assert _names() == [r.name for r in RECORDS]


def test_a_criterion_that_is_not_strings_is_refused_naming_the_field() -> None:
    with pytest.raises(TypeError, match=r"query_step\(key=\.\.\.\): expected a string or a list of strings, got int 3"):
        StepFilter.of(key=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"query_step\(phase=\.\.\.\).*got list \['Failed', None\]"):
        StepFilter.of(phase=["Failed", None])  # type: ignore[list-item]


# --- the local engine's SQL and the predicate agree --------------------------------------

_NAMES = ["relax", "relax(0:a)", "relax(10:b)", "relaxed", "relax-1", "relax)", "rel", "e[1]", "x+y", "é(0:ü)"]
_OPTIONS = [*_NAMES, "relax.*", "relax-[0-9]+", "e\\[1\\]", "e[1]", "x+y", "(", "[", "^rel.*$", "é.*", ""]
_PHASES = ["Pending", "Running", "Succeeded", "Failed"]
_TYPES = ["Pod", "StepGroup", "Steps"]

_records = st.lists(
    st.builds(
        lambda name, phase, type, key, parent: (name, phase, type, key, parent),
        st.sampled_from(_NAMES), st.sampled_from(_PHASES), st.sampled_from(_TYPES),
        st.sampled_from([None, "k0", "k1"]), st.sampled_from([None, "n0", "n1"]),
    ),
    max_size=12,
)  # fmt: skip


def _criterion(values: list[str]) -> st.SearchStrategy[Criterion]:
    return st.one_of(st.none(), st.sampled_from(values), st.lists(st.sampled_from(values), max_size=3))


_filters = st.builds(
    StepFilter.of,
    name=_criterion(_OPTIONS), key=_criterion(["k0", "k1", "k2"]), phase=_criterion(_PHASES),
    id=_criterion(["n0", "n1", "n3"]), type=_criterion(_TYPES), parent_id=st.sampled_from([None, "n0", "n1"]),
)  # fmt: skip


def _store(directory: Path, rows: list[tuple[str, str, str, str | None, str | None]]) -> list[StepRecord]:
    path = directory / "state.db"
    StateStore.create(path, "w-abcde", "w", time.time(), owner_pid=0)
    store = StateStore(path)
    records = [
        StepRecord(id=f"n{i}", name=name, workflow_id="w-abcde", phase=phase, type=type, key=key,
                   parent_id=parent, start_time=float(i))
        for i, (name, phase, type, key, parent) in enumerate(rows)
    ]  # fmt: skip
    for record in records:
        store.save_node(record)
    store.close()
    return records


_SCRATCH = "/dev/shm" if Path("/dev/shm").is_dir() else None  # a state file per example: keep it in memory


@settings(max_examples=200, deadline=None)
@given(rows=_records, where=_filters)
def test_the_sql_selects_what_the_predicate_selects(
    rows: list[tuple[str, str, str, str | None, str | None]], where: StepFilter
) -> None:
    with tempfile.TemporaryDirectory(dir=_SCRATCH) as scratch:
        records = _store(Path(scratch), rows)
        reader = StateStore(Path(scratch) / "state.db", readonly=True)
        register_functions(reader.db)
        selected = [r.id for r in reader.nodes(*sql_where(where))]
        reader.close()
    assert selected == [r.id for r in where.select(records)], sql_where(where)


def test_a_reattached_local_run_answers_by_the_same_rule(tmp_path: Path) -> None:
    """``Workflow(id=...).query_step`` on the local engine: regex names and slice items, from SQL."""
    from dflow_like._config import home_dir

    ws = Workspace(home_dir(), "scan-abcde")
    ws.create()
    rows = [("scan", "Succeeded", "StepGroup", None, None), ("scan(0:1)", "Succeeded", "Pod", "s0", "n0"),
            ("scan(1:2)", "Failed", "Pod", "s1", "n0"), ("scanned", "Succeeded", "Pod", None, None)]  # fmt: skip
    _store(ws.root, rows)
    wf = Workflow(id="scan-abcde")
    assert [r.name for r in wf.query_step(name="scan")] == ["scan", "scan(0:1)", "scan(1:2)"]
    assert [r.name for r in wf.query_step(name="scan.+")] == ["scan(0:1)", "scan(1:2)", "scanned"]
    assert [r.name for r in wf.query_step(name="scan", phase="Failed")] == ["scan(1:2)"]
    assert [r.key for r in wf.query_step_by_key(["s0", "s1"])] == ["s0", "s1"]
    assert [r.name for r in wf.query_step(parent_id="n0", type=["Pod"])] == ["scan(0:1)", "scan(1:2)"]
