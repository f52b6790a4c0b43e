"""``ArgoBackend``: the ``Workflow`` API against an Argo Server (a ``Backend``, as ``LocalBackend``).

``submit`` compiles the workflow, refuses a manifest that fails the schemas or the
lint, uploads the run's bundle (see ``bundle.py``) under the run's name, and creates
the workflow with that explicit name (so the bundle key is known before Argo starts).

Reuse (``submit(reuse_step=[...])``): the records' outputs (possibly modified with
``modify_output_*``) travel in the bundle as ``key → outputs``; a pod whose rendered
``dflow_key`` is in that table publishes those outputs instead of running the OP. Keys
may be computed at run time (``key="iter-{{item}}"``), which Argo's memoization could
not pre-seed without writing a ConfigMap.
"""

from __future__ import annotations

import json
import posixpath
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..._config import config
from ..._run_summary import RunListing
from ...artifacts import ArtifactPart, ArtifactRef
from ...graph.errors import DefinitionError
from ...records import StepRecord
from ..backend import FINAL_PHASES as FINAL
from ..backend import GlobalOutputs, new_run_id
from ..step_filter import StepFilter
from .bundle import build_bundle, upload_bundle
from .client import ArgoClient
from .compile import CompileOptions, compile_with_templates
from .compile.check import manifest_problems
from .compile.pyversion import check_pod_pythons
from .limits import check_limits
from .loop_records import with_gathered_outputs
from .status import artifact_ref, parse_time, step_records, workflow_phase

if TYPE_CHECKING:
    from ...workflow import Workflow

__all__ = ["ArgoBackend"]


def _with_layouts(record: StepRecord, node: dict[str, Any]) -> StepRecord:
    """Attach the layouts pods report in the hidden ``dflow_layouts`` output to the artifacts."""
    raw = next(
        (
            p.get("value")
            for p in (node.get("outputs") or {}).get("parameters") or []
            if p.get("name") == "dflow_layouts"
        ),
        None,
    )
    if not raw:
        return record
    try:
        layouts = json.loads(raw)
    except ValueError:
        return record
    paths = {str(a.get("name")): str(a.get("path") or "") for a in (node.get("outputs") or {}).get("artifacts") or []}
    for name, ref in list(record.outputs.artifacts.items()):
        if name in layouts and len(ref.parts) == 1:
            tree = ref.parts[0].tree
            if tree.archive == "tar" and paths.get(name):
                # Argo's tarball holds the output path under its base name (TarGzToWriter)
                tree = replace(tree, root=posixpath.basename(paths[name].rstrip("/")))
            part = ArtifactPart(tree, layouts[name])
            record.outputs.artifacts[name] = ArtifactRef((part,), ref.gathered, ref.name)
    return record


def _check_reuse(reuse: list[StepRecord], opts: CompileOptions) -> None:
    """A reused step's pod fetches the recorded files itself: from S3, with credentials."""
    for record in reuse:
        for name, ref in record.outputs.artifacts.items():
            for part in ref.parts:
                if part.tree.storage != "s3":
                    raise DefinitionError(
                        f"submit(reuse_step=...): step {record.name!r} output artifact {name!r} is stored "
                        f"locally ({part.tree.key}); Argo pods can only fetch reused files from S3"
                    )
                if opts.s3.mode != "secret":
                    raise DefinitionError(
                        f"submit(reuse_step=...): step {record.name!r} output artifact {name!r} must be fetched "
                        "by its pod from S3, which needs credentials: set s3_config['secret_name'] to a "
                        "Kubernetes Secret holding the S3 keys (pods get them by reference)"
                    )


class ArgoBackend:
    """One Argo Server namespace (``config["host"]``, ``token``, ``namespace``, ``verify_ssl``)."""

    engine = "argo"

    def __init__(self, client: ArgoClient | None = None, options: CompileOptions | None = None) -> None:
        self.client = client or ArgoClient(
            str(config["host"]),
            str(config["token"] or "") or None,
            str(config["namespace"]),
            bool(config["verify_ssl"]),
        )
        self.options = options

    # --- running -------------------------------------------------------------------------
    def manifest(self, workflow: Workflow, run_name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The checked manifest named ``run_name`` and the Python templates its pods run."""
        manifest, templates = compile_with_templates(workflow, self.options)
        meta = manifest["metadata"]
        meta.pop("generateName", None)
        meta["name"] = run_name
        check_pod_pythons(manifest, templates)
        problems = manifest_problems(manifest)
        if problems:
            lines = "\n".join(f"  - {p}" for p in problems)
            raise DefinitionError(f"workflow {workflow.name!r}: the Argo manifest is invalid:\n{lines}")
        return manifest, templates

    def submit(self, workflow: Workflow, reuse: list[StepRecord]) -> str:
        """Compile ``workflow`` as it is (its labels, exit handler, TTL...), upload, create."""
        run_name = new_run_id(workflow.name)
        manifest, templates = self.manifest(workflow, run_name)
        check_limits(manifest, workflow.name)  # warns, or refuses what the API server would
        opts = self.options or CompileOptions.from_config()
        _check_reuse(reuse, opts)
        if templates:
            key = opts.key(opts.bundle_key.replace("{{workflow.name}}", run_name))
            with tempfile.TemporaryDirectory(prefix="dflow-like-bundle-") as scratch:
                upload_bundle(build_bundle(Path(scratch), templates, reuse), key)
        return self.client.create(manifest)

    def wait(self, wf_id: str, timeout: float | None = None) -> str:
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.2
        while True:
            phase, _ = self.status(wf_id)
            if phase in FINAL:
                return phase
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"workflow {wf_id!r} still {phase} after {timeout} s")
            time.sleep(delay)
            delay = min(delay * 1.5, 5.0)

    def terminate(self, wf_id: str) -> None:
        self.client.terminate(wf_id)

    def resume(self, wf_id: str) -> None:
        """Argo keeps running without us; finishing a failed run means retrying it."""
        self.client.retry(wf_id)

    def retry(self, wf_id: str, step: str | None = None) -> None:
        self.client.retry(wf_id, step)

    def resubmit(self, wf_id: str) -> str:
        return self.client.resubmit(wf_id)

    def delete(self, wf_id: str) -> None:
        self.client.delete(wf_id)

    def logs(self, wf_id: str, pod_name: str | None = None) -> str:
        return self.client.logs(wf_id, pod_name)

    # --- reading -------------------------------------------------------------------------
    def status(self, wf_id: str) -> tuple[str, str]:
        workflow = self.client.get(wf_id)
        return workflow_phase(workflow), str((workflow.get("status") or {}).get("message") or "")

    def records(self, wf_id: str, where: StepFilter | None = None) -> list[StepRecord]:
        """The run's nodes from its status, selected by ``where`` (``StepFilter.matches``)."""
        workflow = self.client.get(wf_id)
        nodes = (workflow.get("status") or {}).get("nodes") or {}
        records = [_with_layouts(r, nodes.get(r.id) or {}) for r in step_records(workflow)]
        records = with_gathered_outputs(records, workflow)
        return records if where is None else where.select(records)

    def global_outputs(self, wf_id: str) -> GlobalOutputs:
        """``{"parameters": {name: wire value}, "artifacts": {name: ArtifactRef}}``."""
        status = self.client.get(wf_id).get("status") or {}
        outputs = status.get("outputs") or {}
        params = {str(p.get("name")): str(p.get("value") or "") for p in outputs.get("parameters") or []}
        arts = {str(a.get("name")): artifact_ref(a, status) for a in outputs.get("artifacts") or []}
        return {"parameters": params, "artifacts": {k: v for k, v in arts.items() if v is not None}}

    def list_ids(self) -> list[str]:
        return [str((w.get("metadata") or {}).get("name")) for w in self.client.list()]

    def summaries(self) -> list[RunListing]:
        """Each workflow's phase, times and node count (its root not counted), from one list call."""
        out: list[RunListing] = []
        for workflow in self.client.list():
            status = workflow.get("status") or {}
            nodes = status.get("nodes") or {}
            name = str((workflow.get("metadata") or {}).get("name"))
            started, finished = parse_time(status.get("startedAt")), parse_time(status.get("finishedAt"))
            out.append(RunListing(name, workflow_phase(workflow), started, finished, max(len(nodes) - 1, 0)))
        return out
