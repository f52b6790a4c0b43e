"""``timeout`` on Argo means what it means locally (issue 14 item 4).

A timeout is a failure that a retry policy on transient errors does not retry, unless
``timeout_as_transient_error``: then it is a ``TransientError`` and is retried.
"""

from __future__ import annotations

from pathlib import Path

import cloudpickle
import pytest

from dflow_like import Step, Workflow
from dflow_like.python import PythonOPTemplate

from . import uploads_ops
from .compare import differences
from .controller import EmulatedArgo
from .harness import on_argo, on_local

pytestmark = pytest.mark.s3


def _workflow() -> Workflow:
    def step(name: str, transient: bool) -> Step:
        template = PythonOPTemplate(
            uploads_ops.nap, image="python:3.11", timeout=2, timeout_as_transient_error=transient,
            retry_on_transient_error=1,
        )  # fmt: skip
        return Step(name, template, parameters={"seconds": 60.0}, continue_on_failed=True)

    wf = Workflow(name="timeouts")
    wf.add([step("plain", False), step("transient", True)])
    return wf


def test_timeouts_fail_and_retry_alike(argo: EmulatedArgo, tmp_path: Path) -> None:
    remote = _workflow()
    assert on_argo(argo, remote) == "Succeeded", argo.logs(str(remote.id))
    cloudpickle.register_pickle_by_value(uploads_ops)
    local = _workflow()
    assert on_local(local) == "Succeeded"
    for wf in (local, remote):
        plain, transient = wf.query_step(name="plain")[0], wf.query_step(name="transient")[0]
        assert (plain.phase, plain.attempts) == ("Failed", 1)
        assert (transient.phase, transient.attempts) == ("Failed", 2)
    assert not differences(local, remote, tmp_path / "files")
