"""The state store as a resumed engine writes it.

``seq`` orders a run's nodes as they were first written: the dashboard's items page
(``ui/store.py``) lists a fan-out's items by it. A resumed engine opens the same file
again; its new nodes must come after the ones the first engine wrote, not among them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dflow_like.engine.local.state_store import StateStore
from dflow_like.records import StepRecord


def _write(db_path: Path, names: list[str]) -> None:
    store = StateStore(db_path)  # one engine's connection
    try:
        for name in names:
            store.save_node(StepRecord(id=f"wf-{name}", name=name, workflow_id="wf", parent_id="wf-group"))
        store.commit()
    finally:
        store.close()


def test_a_resumed_engine_numbers_its_nodes_after_the_ones_it_found(tmp_path: Path) -> None:
    db_path = tmp_path / "state.db"
    _write(db_path, ["item(0)", "item(1)", "item(2)"])  # the first engine, killed after three items
    _write(db_path, ["item(1)", "item(3)", "item(4)"])  # the resumed one: item(1) again, then new ones
    db = sqlite3.connect(db_path)
    try:
        order = [name for (name,) in db.execute("SELECT name FROM nodes ORDER BY seq")]
    finally:
        db.close()
    assert order == ["item(0)", "item(1)", "item(2)", "item(3)", "item(4)"]  # before: item(3) second
