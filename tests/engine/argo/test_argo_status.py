from __future__ import annotations

from typing import Any

from dflow_like.artifacts import StoredTree
from dflow_like.engine.argo.status import parse_time, step_records, workflow_phase

from .workflow_status import NAME, slice_nodes, status_fields


def _workflow(phase: Any = "Running") -> dict[str, Any]:
    status = {"phase": phase, "nodes": slice_nodes(), **status_fields()}
    return {"metadata": {"name": NAME}, "status": status}


def test_records_map_names_keys_times_and_parents() -> None:
    records = {r.name: r for r in step_records(_workflow())}
    assert set(records) == {NAME, "[0]", "prep", "run(0:1)", "run(1:2)"}
    prep = records["prep"]
    assert (prep.id, prep.type, prep.phase, prep.template) == (
        f"{NAME}-200",
        "Pod",
        "Succeeded",
        "prep",
    )
    assert prep.key == "prep" and prep.workflow_id == NAME
    assert prep.parent_id == f"{NAME}-100" and records["[0]"].parent_id == NAME
    assert prep.start_time == parse_time("2024-05-01T12:00:01Z") and prep.duration == 3.0
    assert records[NAME].end_time is None


def test_slices_keep_argo_names_and_their_keys() -> None:
    records = step_records(_workflow())
    slices = [r for r in records if r.name.startswith("run(")]
    assert [(r.name, r.key, r.phase) for r in slices] == [
        ("run(0:1)", "run-0", "Running"),
        ("run(1:2)", "run-1", "Pending"),
    ]
    pending = slices[1]
    assert pending.start_time is None and pending.message.startswith("Unschedulable")
    assert records[-1] is pending  # not started: listed last


def test_parameters_skip_internal_ones_and_keep_wire_strings() -> None:
    prep = next(r for r in step_records(_workflow()) if r.name == "prep")
    assert list(prep.inputs.parameters) == ["n"]
    assert list(prep.outputs.parameters) == ["items"]
    items = prep.outputs.parameters["items"]
    assert items.raw == "[1, 2]" and items.type_name == "list"


def test_artifacts_become_stored_trees() -> None:
    prep = next(r for r in step_records(_workflow()) if r.name == "prep")
    data = prep.outputs.artifacts["data"].parts[0].tree
    assert data == StoredTree("s3", "slices-x7k2p/data.tgz", "tar", "my-bucket")
    plain = prep.outputs.artifacts["plain"].parts[0].tree
    assert plain == StoredTree("s3", "run/plain", None, "b2")
    assert "main-logs" in prep.outputs.artifacts


def test_workflow_phase_and_null_fields() -> None:
    assert workflow_phase(_workflow("Succeeded")) == "Succeeded"
    assert workflow_phase({"status": {}}) == "Pending"
    assert workflow_phase({"status": None}) == "Pending"
    assert workflow_phase(_workflow("Unknown-new-phase")) == "Pending"
    assert step_records({"metadata": {"name": "x"}, "status": {"nodes": None}}) == []
    assert parse_time(None) is None and parse_time("not a time") is None
