"""What the dashboard reads of Argo runs: the Argo Server's REST API, through ``ArgoClient``.

The server gives a run's whole status in one answer (``GetWorkflow``), so a run page is
one request: the graph is drawn from its nodes (``view/argo.py``) and coloured by
phase; a step's page reads its node as a step record (``engine/argo/status.py``). The
runs list asks only for the fields it shows (``WorkflowListRequest.fields``), not every
node of every run. A step's log comes from the server's log stream of its pod,
named as Argo names it (``pod_name``). A step's output artifacts are read as the
client reads them (``ArgoBackend.records``: the layouts pods report, a loop's outputs
gathered from its items); ``argo_artifacts.py`` fetches their files.

Archived runs are listed too, as Argo's own list shows them since 3.5 (``ListWorkflows``
in server/workflow/workflow_server.go: the archive's runs beside the cluster's, one entry
per uid); on a 3.4 server, which lists only the cluster's, the archive is asked
(``ListArchivedWorkflows``) and merged here the same way. A run read from the archive
(garbage-collected from the cluster) has its page as any other: its status and nodes come
from the archive, a step's log from its ``main-logs`` artifact (``archiveLogs``) as Argo's
UI reads it, its artifacts through the server's routes by uid. Its actions are Argo's for it:
retry goes through the archive (``RetryArchivedWorkflow``, which creates the run again in the
cluster under its name), and a finished run offers neither terminate nor resume, as Argo's UI
offers neither (``WorkflowOperationsMap``, ui/src/shared/workflow-operations-map.ts).
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ..artifacts import ArtifactPart, ArtifactRef
from ..engine.argo.backend import _with_layouts
from ..engine.argo.client import ARCHIVING_STATUS, ArgoClient, ArgoError, in_cluster
from ..engine.argo.loop_records import with_gathered_outputs
from ..engine.argo.status import node_record, parse_time, workflow_phase
from ..records import StepRecord
from ..view.argo import LOOP_SEP, argo_graph, fan_out_phase, loop_items
from ..view.plan import PlanNode
from ..view.summary import RunSummary
from .store import PAGE, RunRow, StepRow

__all__ = ["LIST_FIELDS", "ArgoRuns", "argo_runs_from_config", "merge_archived", "pod_name"]

# What the runs list shows of each workflow (Argo's own UI asks for a similar list); the uid
# and labels say which runs are archived and which entries are one run.
LIST_FIELDS = ",".join(
    (
        "metadata.resourceVersion", "items.metadata.name", "items.metadata.uid", "items.metadata.labels",
        "items.metadata.creationTimestamp", "items.status.phase", "items.status.startedAt",
        "items.status.finishedAt", "items.status.message",
    )
)  # fmt: skip
ACTIONS = ("terminate", "resume", "retry")  # a run page's buttons
RETRIED = ("Failed", "Error")  # the phases Argo's UI offers retry for (FormulateRetryWorkflow's, without options)
_UID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
LOG_ARTIFACT = "main-logs"  # the log Argo keeps of a step's main container (archiveLogs)
POD_NAME_FORMAT = "workflows.argoproj.io/pod-name-format"
_MAX_PREFIX = 253 - 10  # a Kubernetes name's limit, less the hash (workflow/util/pod_name.go)


def argo_runs_from_config() -> ArgoRuns | None:
    """The configured Argo Server (``config["host"]``, ``token``, ``namespace``), or None."""
    from .._config import config

    host = str(config["host"] or "")
    if not host:
        return None
    client = ArgoClient(host, str(config["token"] or "") or None, str(config["namespace"]), bool(config["verify_ssl"]))
    return ArgoRuns(client)


def _fnv1a_32(text: str) -> int:
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def pod_name(workflow: dict[str, Any], node: dict[str, Any]) -> str:
    """The pod of a node, named as Argo does (``GeneratePodName`` in ``workflow/util/pod_name.go``).

    ``v1`` (the workflow's ``pod-name-format`` annotation) names a pod by its node id; ``v2``,
    the default since Argo 3.4, ``<workflow>-<template>-<FNV-1a 32 of the node's name>``.
    """
    meta = workflow.get("metadata") or {}
    wf_name, node_name = str(meta.get("name") or ""), str(node.get("name") or "")
    if (meta.get("annotations") or {}).get(POD_NAME_FORMAT) == "v1":
        return str(node.get("id") or "")
    if wf_name == node_name:
        return wf_name
    template = node.get("templateName") or (node.get("templateRef") or {}).get("template") or ""
    prefix = f"{wf_name}-{template}" if template else wf_name
    return f"{prefix[: _MAX_PREFIX - 1]}-{_fnv1a_32(node_name)}"


def _plain_layouts(record: StepRecord, node: Mapping[str, Any]) -> StepRecord:
    """A tarred output of a template that is not one of ours (no ``dflow_layouts``) holds its
    path under the path's base name (``TarGzToWriter``, util/archive/archive.go): that name is
    the layout, so a file is placed (and downloaded) as itself, a directory under its name."""
    paths = {str(a.get("name")): str(a.get("path") or "") for a in (node.get("outputs") or {}).get("artifacts") or []}
    for name, ref in list(record.outputs.artifacts.items()):
        if len(ref.parts) != 1 or ref.gathered or not paths.get(name):
            continue
        part = ref.parts[0]
        if part.tree.archive == "tar" and part.layout is None and not part.tree.root:
            layout = posixpath.basename(paths[name].rstrip("/"))
            record.outputs.artifacts[name] = ArtifactRef((ArtifactPart(part.tree, layout),), ref.gathered, ref.name)
    return record


def merge_archived(
    live: list[dict[str, Any]], archived: list[dict[str, Any]]
) -> list[tuple[str, dict[str, Any], bool]]:
    """Each run once, as ``(id, workflow, archived)``: entries with one uid are one run, the
    cluster's entry kept (Argo 3.5's ``mergeWithArchivedWorkflows`` keeps the one labelled
    ``Archived``, in the cluster, over the archive's ``Persisted`` one). A run is archived when
    the archive holds it, or its label says so (``isArchivedWorkflow``, ui/src/shared/models/
    workflows.ts: ``Archived`` or ``Persisted``). Its id is its name, which pages read it by,
    unless the name reads another run (one in the cluster; else the archive's newest by start,
    as Argo's ``GetWorkflow`` by name picks: persist/sqldb/workflow_archive.go): then its uid."""
    runs: dict[str, tuple[dict[str, Any], bool]] = {}
    for wf, from_archive in [*((w, False) for w in live), *((w, True) for w in archived)]:
        meta = wf.get("metadata") or {}
        uid = str(meta.get("uid") or meta.get("name") or "")
        label = (meta.get("labels") or {}).get(ARCHIVING_STATUS)
        if uid in runs:
            runs[uid] = (runs[uid][0], True)
        else:
            runs[uid] = (wf, from_archive or label in ("Archived", "Persisted"))
    by_name: dict[str, str] = {}  # name -> uid of the run that name reads
    for uid, (wf, _) in sorted(runs.items(), key=lambda kv: _reads_first(kv[1][0])):
        by_name.setdefault(str((wf.get("metadata") or {}).get("name") or ""), uid)
    out = []
    for uid, (wf, is_archived) in runs.items():
        name = str((wf.get("metadata") or {}).get("name") or "")
        out.append((name if by_name.get(name) == uid else uid, wf, is_archived))
    return out


def _reads_first(wf: dict[str, Any]) -> tuple[int, float]:
    """Which of the runs of one name a name reads: the cluster's, else the latest started."""
    started = parse_time((wf.get("status") or {}).get("startedAt"))
    return (0 if in_cluster(wf) else 1, -(started or 0.0))


class ArgoRuns:
    """The workflows of one Argo Server namespace, as the dashboard shows them."""

    engine = "argo"

    def __init__(self, client: ArgoClient) -> None:
        self.client = client

    @property
    def where(self) -> str:
        return f"{self.client.host}, namespace {self.client.namespace!r}"

    def backend(self) -> Any:
        """The ``ArgoBackend`` of this server, for the actions (terminate, resume, retry)."""
        from ..engine.argo.backend import ArgoBackend

        return ArgoBackend(self.client)

    def runs(self, phase: str = "", text: str = "") -> list[RunRow]:
        return self.listing(phase, text)[0]

    def listing(self, phase: str = "", text: str = "") -> tuple[list[RunRow], tuple[str, ...]]:
        """The runs (the cluster's and the archive's, once each) and what could not be listed:
        an archive the server does not answer for leaves the cluster's runs listed."""
        live = self.client.list(fields=LIST_FIELDS)
        notes: tuple[str, ...] = ()
        try:
            archived = self.client.list_archived()
        except ArgoError as exc:
            archived, notes = [], (f"Archived Argo runs not shown: {exc}",)
        rows = []
        for wf_id, wf, is_archived in merge_archived(live, archived):
            meta, status = wf.get("metadata") or {}, wf.get("status") or {}
            name = str(meta.get("name") or "")
            row = RunRow(
                wf_id, name, workflow_phase(wf), parse_time(meta.get("creationTimestamp")),
                parse_time(status.get("startedAt")), parse_time(status.get("finishedAt")),
                str(status.get("message") or ""), engine=self.engine, archived=is_archived,
            )  # fmt: skip
            if (not text or text.lower() in name.lower()) and (not phase or row.phase == phase):
                rows.append(row)
        return rows, notes

    def workflow(self, wf_id: str) -> dict[str, Any]:
        """The run ``wf_id`` names: a uid (``merge_archived``) reads the archive; a name reads the
        cluster, then the archive's latest run of that name (Argo >= 3.5 does that itself,
        ``getWorkflow`` in server/workflow/workflow_server.go; 3.4 answers 404)."""
        if _UID.fullmatch(wf_id):
            try:
                return self.client.get_archived(wf_id)
            except ArgoError:
                pass  # a name may look like a uid
        try:
            return self.client.get(wf_id)
        except ArgoError as exc:
            if exc.status != 404:
                raise
            found = self._archived_by_name(wf_id)
            if found is None:
                raise
            return found

    def _archived_by_name(self, name: str) -> dict[str, Any] | None:
        try:
            runs = self.client.list_archived(name=name)
        except ArgoError:
            return None  # no archive (or none we may read): the cluster's 404 stands
        runs = [r for r in runs if (r.get("metadata") or {}).get("name") == name]
        if not runs:
            return None
        newest = min(runs, key=_reads_first)
        return self.client.get_archived(str((newest.get("metadata") or {}).get("uid") or ""))

    @staticmethod
    def archived_uid(workflow: dict[str, Any]) -> str | None:
        """The uid the server's artifact routes read a run by, if it is read from the archive."""
        return None if in_cluster(workflow) else str((workflow.get("metadata") or {}).get("uid") or "") or None

    def view(self, wf_id: str, workflow: dict[str, Any] | None = None) -> tuple[PlanNode, RunSummary]:
        """The graph of one run and its state, from one answer of the server."""
        return argo_graph(workflow or self.workflow(wf_id))

    def actions(self, workflow: dict[str, Any]) -> tuple[tuple[str, ...], str]:
        """The actions a run's page offers, and why it offers no others. A run read from the
        archive is finished: Argo's UI offers it retry when it Failed or Error (and resubmit,
        which the dashboard has not), never terminate (a Running run's) nor resume (a suspended
        run's): ``WorkflowOperationsMap``, ui/src/shared/workflow-operations-map.ts."""
        if self.archived_uid(workflow) is None:
            return ACTIONS, ""
        phase = workflow_phase(workflow)
        retry = phase in RETRIED
        why = (
            f"This run is archived ({phase}): Argo keeps it only in its archive and nothing of it runs, "
            "so terminate and resume are not offered (as in Argo's UI)"
        )
        return (("retry",), why + "; retry runs its failed steps again in the cluster.") if retry else ((), why + ".")

    def act_archived(self, workflow: dict[str, Any], verb: str) -> tuple[str | None, str]:
        """``verb`` on a run read from the archive, as Argo's UI does it: the run the page then
        shows (None: this one), and what happened. Retry asks the archive (``retryArchived`` in
        ui/src/shared/services/workflows-service.ts, for a run not in the cluster), which creates
        the run again in the cluster under its name: the page shows that run. Terminate and resume
        are refused with why: Argo offers neither for a finished run (``actions``)."""
        if verb == "retry":
            new = self.client.retry_archived(self.archived_uid(workflow) or "")
            return new, f"retrying the failed steps: {new} runs again in the cluster (retried from the archive)"
        if verb in ("terminate", "resume"):
            return None, f"{verb} is not offered. {self.actions(workflow)[1]}"
        raise KeyError(f"no action {verb!r} (terminate, resume, retry)")

    def step(
        self, wf_id: str, node_id: str, workflow: dict[str, Any] | None = None, outputs: bool = True
    ) -> StepRecord:
        """A node's record; for a drawn fan-out (``<id>:<name>``), a record standing for its items.
        A page that reads several things of one run passes the ``workflow`` it fetched once
        (a 10,000-node answer costs more to fetch and parse than anything done with it);
        ``outputs=False`` skips gathering a fan-out's outputs from every item."""
        return self._step(workflow or self.workflow(wf_id), wf_id, node_id, outputs)[0]

    def artifact(
        self, wf_id: str, node_id: str, name: str, workflow: dict[str, Any] | None = None
    ) -> tuple[ArtifactRef, dict[str, tuple[str, str]]]:
        """Output artifact ``name`` of a node (or a fan-out, gathered from its items), and which
        node's artifact each stored key is (``{key: (node id, artifact name)}``), for the Argo
        Server's artifact endpoint that serves artifacts by node."""
        rec, nodes = self._step(workflow or self.workflow(wf_id), wf_id, node_id)
        ref = rec.outputs.artifacts.get(name)
        if ref is None:
            known = ", ".join(rec.outputs.artifacts) or "none"
            raise KeyError(
                f"step {rec.name!r} of Argo workflow {wf_id!r} has no output artifact {name!r} (it has: {known})"
            )
        owners = {
            str((art.get(kind) or {}).get("key")): (str(node.get("id")), str(art.get("name")))
            for node in nodes
            for art in (node.get("outputs") or {}).get("artifacts") or []
            for kind in ("s3",)
            if (art.get(kind) or {}).get("key")
        }
        return ref, owners

    def _step(
        self, workflow: dict[str, Any], wf_id: str, node_id: str, outputs: bool = True
    ) -> tuple[StepRecord, list[Any]]:
        """A node's record as ``ArgoBackend.records`` gives it, and the nodes it was read from."""
        status = workflow.get("status") or {}
        nodes = status.get("nodes") or {}
        if LOOP_SEP in node_id:
            base, items = loop_items(nodes, node_id)
            if not items:
                raise KeyError(f"Argo workflow {wf_id!r} has no fan-out {node_id!r}")
            phase = fan_out_phase(Counter(str(item.get("phase") or "Pending") for item in items))
            rec = StepRecord(id=node_id, name=base, workflow_id=wf_id, phase=phase, type="StepGroup")
            kids = items if outputs else []
        else:
            node = nodes.get(node_id)
            if node is None:
                raise KeyError(f"Argo workflow {wf_id!r} has no node {node_id!r}")
            rec = _plain_layouts(_with_layouts(node_record(node_id, node, wf_id, None, status), node), node)
            grouped = outputs and rec.type.endswith("Group")
            kids = [nodes[c] for c in node.get("children") or [] if c in nodes] if grouped else []
        items_records = [
            _plain_layouts(_with_layouts(node_record(str(k.get("id")), k, wf_id, rec.id, status), dict(k)), k)
            for k in kids
        ]
        with_gathered_outputs([rec, *items_records], workflow)
        return rec, [n for n in (nodes.get(node_id), *kids) if n]

    def log(self, wf_id: str, node_id: str, workflow: dict[str, Any] | None = None) -> str:
        """The log of a node's pod, as the server streams it ('' for a node without a pod)."""
        workflow = workflow or self.workflow(wf_id)
        if LOOP_SEP in node_id:
            self._step(workflow, wf_id, node_id, outputs=False)  # a fan-out stands for its items' pods: none itself
            return ""
        node = ((workflow.get("status") or {}).get("nodes") or {}).get(node_id)
        if node is None:
            raise KeyError(f"Argo workflow {wf_id!r} has no node {node_id!r}")
        if node.get("type") != "Pod":
            return ""
        return self._log(workflow, node_id, node, str((workflow.get("metadata") or {}).get("name") or wf_id))

    def _log(self, workflow: dict[str, Any], node_id: str, node: dict[str, Any], name: str) -> str:
        """As Argo's UI reads a step's log (``getContainerLogs``, ui/src/shared/services/
        workflows-service.ts): a finished step's ``main-logs`` artifact (``archiveLogs``) first,
        else its pod's; a run read from the archive has no pods left, only the artifact."""
        uid = self.archived_uid(workflow)
        kept = any(a.get("name") == LOG_ARTIFACT for a in (node.get("outputs") or {}).get("artifacts") or [])
        if uid is not None and not kept:
            raise ArgoError(
                f"workflow {name!r} is archived (its pods are gone) and this step kept no "
                f"{LOG_ARTIFACT!r} artifact (the controller's archiveLogs)"
            )
        if kept and node.get("phase") not in ("Pending", "Running"):
            try:
                return self.client.output_artifact_text(name, node_id, LOG_ARTIFACT, uid).rstrip("\n")
            except ArgoError:
                if uid is not None:
                    raise
        return self.client.logs(name, pod_name(workflow, node))

    def children(
        self, wf_id: str, parent_id: str, page: int = 0, phase: str = "", workflow: dict[str, Any] | None = None
    ) -> tuple[list[StepRow], int]:
        """One page of a fan-out's items (or of a node's children)."""
        status = (workflow or self.workflow(wf_id)).get("status") or {}
        nodes = status.get("nodes") or {}
        if LOOP_SEP in parent_id:
            kids = loop_items(nodes, parent_id)[1]
        else:
            kids = [nodes[c] for c in (nodes.get(parent_id) or {}).get("children") or [] if c in nodes]
        kids = [k for k in kids if not phase or (k.get("phase") or "Pending") == phase]
        shown = [
            node_record(str(k.get("id")), k, wf_id, parent_id, status) for k in kids[page * PAGE : (page + 1) * PAGE]
        ]
        rows = [StepRow(r.id, r.name, r.phase, r.type, r.start_time, r.end_time, r.message) for r in shown]
        return rows, len(kids)
