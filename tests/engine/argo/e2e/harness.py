"""Run a ``Workflow`` on the emulated Argo through the real ``ArgoBackend`` (compile, lint, bundle)."""

from __future__ import annotations

from dflow_like import Workflow, config
from dflow_like.engine.argo.backend import ArgoBackend
from dflow_like.records import StepRecord

from .controller import EmulatedArgo

__all__ = ["on_argo", "on_local"]


def on_argo(argo: EmulatedArgo, wf: Workflow, reuse: list[StepRecord] | None = None) -> str:
    """Submit ``wf`` as a user with ``config["mode"] = "argo"`` would; returns the final phase."""
    config["mode"] = "argo"
    wf._backend_obj = ArgoBackend(client=argo)  # type: ignore[arg-type]
    wf.submit(reuse_step=reuse)
    return wf.wait(timeout=5)


def on_local(wf: Workflow, reuse: list[StepRecord] | None = None, timeout: float = 120) -> str:
    """The same workflow on the local engine, artifacts in the same S3 (``debug_s3``)."""
    config["mode"] = "default"
    config["debug_s3"] = True
    wf._backend_obj = None
    wf.submit(reuse_step=reuse)
    return wf.wait(timeout=timeout)
