"""The ``Backend`` seam (``engine/backend.py``): both engines implement it, one run-id
generator, one refusal type naming the engine; Argo compiles the ``Workflow`` it is handed."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator

import pytest

from dflow_like import ShellOPTemplate, Step, Workflow, config
from dflow_like.engine.argo.backend import ArgoBackend
from dflow_like.engine.argo.client import ArgoClient
from dflow_like.engine.backend import Backend, UnsupportedOperation, new_run_id
from dflow_like.engine.local.backend import LocalBackend
from tests.engine.argo.argo_double import ArgoDouble, running_double

_OPERATIONS = [name for name, _ in inspect.getmembers(Backend, inspect.isfunction) if not name.startswith("_")]


@pytest.fixture
def double() -> Iterator[ArgoDouble]:
    with running_double() as server:
        config.update(host=server.url, token=server.token, namespace="argo", verify_ssl=False)
        yield server


def test_the_protocol_holds_the_operations_workflow_uses() -> None:
    assert set(_OPERATIONS) >= {"submit", "status", "wait", "records", "terminate", "resume", "retry", "delete"}


@pytest.mark.parametrize("backend_type", [LocalBackend, ArgoBackend])
def test_both_engines_implement_every_operation_with_its_signature(backend_type: type) -> None:
    for name in _OPERATIONS:
        method = getattr(backend_type, name, None)
        assert callable(method), f"{backend_type.__name__} lacks {name}()"
        assert inspect.signature(method) == inspect.signature(getattr(Backend, name)), (backend_type, name)
    assert backend_type.engine in ("local", "argo")


def test_workflow_backend_is_the_local_one_by_default() -> None:
    backend: Backend = Workflow("w")._backend()
    assert isinstance(backend, LocalBackend) and backend.engine == "local"


def test_run_ids_keep_the_name_and_differ() -> None:
    ids = {new_run_id("relax") for _ in range(50)}
    assert all(re.fullmatch(r"relax-[a-z0-9]{5}", i) for i in ids)
    assert len(ids) > 45


def test_an_operation_an_engine_cannot_do_names_the_engine() -> None:
    with pytest.raises(UnsupportedOperation, match=r"the local engine cannot resubmit\(\) workflow 'w-abcde'") as info:
        Workflow(id="w-abcde").resubmit()
    assert (info.value.engine, info.value.operation) == ("local", "resubmit() workflow 'w-abcde'")
    assert isinstance(info.value, RuntimeError)  # callers that caught the RuntimeError still do


def _labelled() -> Workflow:
    wf = Workflow("keep", labels={"team": "seam"}, ttl_seconds_after_finished=60, parallelism=3)
    wf.add(Step("hello", ShellOPTemplate("hello", image="alpine", script="echo hi")))
    wf.on_exit = ShellOPTemplate("bye", image="alpine", script="echo bye")
    return wf


def test_argo_submits_the_workflow_it_is_handed_not_a_rebuilt_one(double: ArgoDouble) -> None:
    """Labels, TTL and the exit handler live only on the ``Workflow``: a rebuilt one lost them."""
    wf = _labelled()
    wf.submit()
    assert wf.id is not None and re.fullmatch(r"keep-[a-z0-9]{5}", wf.id)
    manifest = double.workflows[("argo", wf.id)]
    assert manifest["metadata"]["labels"]["team"] == "seam"
    assert manifest["spec"]["onExit"] == "bye" and manifest["spec"]["parallelism"] == 3
    assert manifest["spec"]["ttlStrategy"] == {"secondsAfterCompletion": 60}


def test_argo_query_step_uses_the_same_rule_as_the_local_engine(double: ArgoDouble) -> None:
    """A regex name selects on Argo too (before, only the local engine read regexes)."""
    backend = ArgoBackend(ArgoClient(double.url, double.token, "argo", False))
    wf = _labelled()
    wf._backend_obj = backend
    run = wf.submit()
    nodes = {
        f"{run}-{i}": {"id": f"{run}-{i}", "name": name, "displayName": name, "type": "Pod", "phase": phase,
                       "startedAt": f"2024-05-01T12:00:0{i}Z", "finishedAt": None}
        for i, (name, phase) in enumerate([("scan(0:1)", "Succeeded"), ("scan(1:2)", "Failed"), ("scanned", "Running")])
    }  # fmt: skip
    double.advance(run, "Running", nodes)
    assert [r.name for r in wf.query_step(name="scan.+")] == ["scan(0:1)", "scan(1:2)", "scanned"]
    assert [r.name for r in wf.query_step(name="scan")] == ["scan(0:1)", "scan(1:2)"]
    assert [r.name for r in wf.query_step(name=["scan"], phase="Failed")] == ["scan(1:2)"]
    assert len(backend.records(run)) == 3
