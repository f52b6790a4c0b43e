"""A protocol double of the Argo Server REST API — not a cluster.

It answers the ``/api/v1/workflows/{namespace}...`` endpoints with the JSON shapes
the Argo Server (v3.x) returns, checks the ``Authorization: Bearer`` token, and
keeps workflows in memory. Nothing runs: a test scripts each workflow's progress
with :meth:`ArgoDouble.advance` (phase, nodes, timestamps) and its logs with
:meth:`ArgoDouble.set_logs`. With ``artifact_repository`` set, it also serves a node's
output artifact from that S3 store as the server's ``/artifacts/`` route does (see
:meth:`ArgoDouble.output_artifact`). Use it to test the client's requests, its parsing of
responses (including fields the generated models reject, such as
``startedAt: null``) and its error handling; it proves nothing about how Argo
executes a manifest.

The workflow archive (:meth:`ArgoDouble.archive`, as the controller's ``archiveWorkflowAux``
in workflow/controller/controller.go stores a finished run, and its TTL then deletes it)
is served as ``ArchivedWorkflowService`` serves it (server/workflowarchive/
archived_workflow_server.go, paths in pkg/apiclient/workflowarchive/workflow-archive.proto):
``GET /api/v1/archived-workflows`` (``listOptions.fieldSelector`` ``metadata.namespace=`` and
``metadata.name=``, or ``namespace``; ``listOptions.labelSelector``; ``namePrefix``; the
entries as persist/sqldb/workflow_archive.go ``ListWorkflows`` gives them: no nodes, labelled
``Persisted``, in ``Workflows.Less`` order) and ``GET /api/v1/archived-workflows/{uid}``
(the whole workflow; 404 ``not found``), and the artifact routes read an archived run by uid
(``/artifacts-by-uid/``, ``/artifact-files/{ns}/archived-workflows/{uid}/``). An archived run is
retried and resubmitted as ``RetryArchivedWorkflow`` and ``ResubmitArchivedWorkflow`` do
(``PUT /api/v1/archived-workflows/{uid}/retry`` and ``/resubmit``, the namespace in the body):
see :meth:`ArgoDouble.archived_retry` and :meth:`ArgoDouble.archived_resubmit`. By default the
workflow API is Argo 3.4's, which knows only the cluster's runs; ``unified=True`` is Argo
>= 3.6's (server/workflow/workflow_server.go): ``ListWorkflows`` appends the archive's runs
to the cluster's not yet archived, and ``GetWorkflow`` falls back to the archive by name.
"""

from __future__ import annotations

import copy
import html
import io
import itertools
import json
import mimetypes
import posixpath
import random
import string
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["ArgoDouble", "only_fields", "running_double"]

_NOW = "2024-05-01T12:00:00Z"
ARCHIVING_STATUS = "workflows.argoproj.io/workflow-archiving-status"  # LabelKeyWorkflowArchivingStatus


class ArgoDouble:
    """In-memory workflows behind a stdlib HTTP server on 127.0.0.1 (a free port)."""

    def __init__(self, token: str | None = "v2:double-token", unified: bool = False) -> None:
        self.token = token
        self.unified = unified  # Argo >= 3.6's ListWorkflows/GetWorkflow, which read the archive too
        self.workflows: dict[tuple[str, str], dict[str, Any]] = {}
        self.archived: dict[str, dict[str, Any]] = {}  # uid -> the workflow as archived
        self.logs: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) as received
        # The namespace's default artifact repository (``artifactRepository.s3`` of the controller's
        # ConfigMap), its credentials resolved: endpoint, bucket, accessKey, secretKey, insecure.
        self.artifact_repository: dict[str, Any] | None = None
        # Or, for tests that need no S3 server, the repository's objects in memory (key -> bytes).
        self.objects: dict[str, bytes] = {}
        # An archive the token may not read: ListArchivedWorkflows answers PermissionDenied (403).
        self.archive_forbidden = False
        self._versions = itertools.count(1000)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ArgoDouble:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- scripting a run ---------------------------------------------------------------

    def advance(
        self,
        name: str,
        phase: str | None = None,
        nodes: dict[str, Any] | None = None,
        namespace: str = "argo",
        **status: Any,
    ) -> dict[str, Any]:
        """Move workflow ``name`` on: set its phase, nodes and any other status fields."""
        with self._lock:
            wf = self.workflows[(namespace, name)]
            if phase is not None:
                wf["status"]["phase"] = phase
                wf["metadata"].setdefault("labels", {})["workflows.argoproj.io/phase"] = phase
                if phase in ("Succeeded", "Failed", "Error"):
                    wf["metadata"]["labels"]["workflows.argoproj.io/completed"] = "true"
            if nodes is not None:
                wf["status"]["nodes"] = copy.deepcopy(nodes)
            wf["status"].update(copy.deepcopy(status))
            self._touch(wf)
            return copy.deepcopy(wf)

    def archive(self, name: str, namespace: str = "argo", delete: bool = True) -> str:
        """Archive workflow ``name`` as the controller does (the whole workflow stored by uid, the
        cluster's copy labelled ``Archived``); ``delete`` then removes it from the cluster, as its
        TTL (or ``argo delete``) does. Returns its uid."""
        with self._lock:
            wf = self.find(namespace, name)
            uid = str(wf["metadata"]["uid"])
            self.archived[uid] = copy.deepcopy(wf)
            wf["metadata"].setdefault("labels", {})[ARCHIVING_STATUS] = "Archived"
            self._touch(wf)
            if delete:
                del self.workflows[(namespace, name)]
            return uid

    def set_logs(self, name: str, lines: list[tuple[str, str]], namespace: str = "argo") -> None:
        """Log lines of a workflow as ``(pod_name, content)`` pairs, in order."""
        self.logs[(namespace, name)] = list(lines)

    # -- the server side -----------------------------------------------------------------

    def create(self, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        wf = copy.deepcopy(body.get("workflow") or {})
        meta = wf.setdefault("metadata", {})
        name = meta.get("name") or str(meta.get("generateName", "wf-")) + _suffix()
        meta.update(name=name, namespace=namespace, uid=str(uuid.uuid4()))
        meta.update(creationTimestamp=_NOW, generation=1)
        meta.setdefault("labels", {})["workflows.argoproj.io/creator"] = "double"
        wf["status"] = {"phase": "Pending", "startedAt": None, "finishedAt": None}
        with self._lock:
            if (namespace, name) in self.workflows:
                raise _HttpError(409, 6, f'workflows.argoproj.io "{name}" already exists')
            self._touch(wf)
            self.workflows[(namespace, name)] = wf
        return copy.deepcopy(wf)

    def find(self, namespace: str, name: str) -> dict[str, Any]:
        wf = self.workflows.get((namespace, name))
        if wf is None:
            raise _HttpError(404, 5, f'workflows.argoproj.io "{name}" not found')
        return wf

    def action(self, namespace: str, name: str, verb: str, body: dict[str, Any]) -> Any:
        wf = self.find(namespace, name)
        if verb in ("terminate", "stop"):
            wf["spec"]["shutdown"] = verb.capitalize()
        elif verb == "retry":
            if wf["status"].get("phase") not in ("Failed", "Error"):
                raise _HttpError(409, 9, "workflow must be Failed or Error to retry")
            wf["status"].update(phase="Running", finishedAt=None, message="")
        elif verb == "resubmit":
            return self._resubmit(namespace, wf, bool(body.get("memoized")))
        self._touch(wf)
        return copy.deepcopy(wf)

    def _resubmit(self, namespace: str, old: dict[str, Any], memoized: bool) -> dict[str, Any]:
        meta = old["metadata"]
        # the labels FormulateResubmitWorkflow does not carry over (the creator's others aside)
        dropped = ("workflows.argoproj.io/creator", "workflows.argoproj.io/phase", "workflows.argoproj.io/completed")
        dropped += (ARCHIVING_STATUS,)
        labels = {k: v for k, v in (meta.get("labels") or {}).items() if k not in dropped}
        labels["workflows.argoproj.io/resubmitted-from-workflow"] = meta["name"]
        new = {
            "apiVersion": old.get("apiVersion"),
            "kind": "Workflow",
            "metadata": {"generateName": meta["name"] + "-", "labels": labels},
            "spec": copy.deepcopy(old["spec"]),
        }
        new["spec"].pop("shutdown", None)
        if memoized:
            new["metadata"]["annotations"] = {"workflows.argoproj.io/memoized": "true"}
        return self.create(namespace, {"workflow": new})

    def list_body(self, namespace: str) -> dict[str, Any]:
        items = [copy.deepcopy(w) for (ns, _), w in self.workflows.items() if ns == namespace]
        if self.unified:  # the cluster's runs not yet archived, then the archive's (ListWorkflows, >= 3.6)
            items = [w for w in items if (w["metadata"].get("labels") or {}).get(ARCHIVING_STATUS) != "Archived"]
            items += self.archived_list(namespace, "", "", "")["items"] or []
        return {"metadata": {"resourceVersion": str(next(self._versions))}, "items": items or None}

    def archived_list(self, namespace: str, name: str, prefix: str, labels: str) -> dict[str, Any]:
        """``ListArchivedWorkflows`` with no limit: the archive's columns of each run
        (``ListWorkflows`` in persist/sqldb/workflow_archive.go), sorted by ``Workflows.Less``
        (pkg/apis/workflow/v1alpha1/workflow_types.go: unfinished first, then the latest finished)."""
        wanted = _label_requirements(labels)
        items = []
        for wf in self.archived.values():
            meta = wf["metadata"]
            if namespace and meta.get("namespace") != namespace:
                continue
            if (name and meta["name"] != name) or not str(meta["name"]).startswith(prefix):
                continue
            if not _labels_match(meta.get("labels") or {}, wanted):
                continue
            items.append(_archive_columns(wf))
        items.sort(key=lambda w: str(w["metadata"].get("creationTimestamp") or ""), reverse=True)
        items.sort(key=lambda w: str(w["status"].get("finishedAt") or ""), reverse=True)
        items.sort(key=lambda w: bool(w["status"].get("finishedAt")))  # stable: unfinished first
        return {"metadata": {}, "items": items or None}

    def archived_get(self, uid: str) -> dict[str, Any]:
        """``GetArchivedWorkflow``: the whole run as archived, labelled ``Persisted``."""
        wf = self.archived.get(uid)
        if wf is None:
            raise _HttpError(404, 5, "not found")
        found = copy.deepcopy(wf)
        found["metadata"].setdefault("labels", {})[ARCHIVING_STATUS] = "Persisted"
        return found

    def archived_retry(self, uid: str, body: dict[str, Any]) -> dict[str, Any]:
        """``RetryArchivedWorkflow`` (server/workflowarchive/archived_workflow_server.go): the archived
        run (404 ``not found``) is created again in the body's namespace under its own name, with a
        new uid, unless a run of that name is there (409 ``AlreadyExists``: "use argo retry {name}
        instead"). ``FormulateRetryWorkflow`` (workflow/util/util.go) makes it: Failed or Error runs
        only (a Succeeded one needs ``restartSuccessful`` and ``nodeFieldSelector``; else 400), the
        ``completed`` and archiving-status labels dropped, phase unset (the controller's to set),
        ``shutdown`` cleared; the failed pods (and the nodes the selector picks) deleted with what
        follows them (``resetPath``'s ``getChildren``), the group nodes above them reset to Running,
        the rest kept. (No Retry nodes or offloaded statuses here; the request's namespace is
        required, as the server creates the run in it: Argo's UI always sends it.)"""
        old = self.archived_get(uid)
        namespace, name = self._archived_namespace(body), str(old["metadata"]["name"])
        restart, selector = bool(body.get("restartSuccessful")), str(body.get("nodeFieldSelector") or "")
        with self._lock:
            if (namespace, name) in self.workflows:
                raise _HttpError(409, 6, f"Workflow already exists on cluster, use argo retry {name} instead")
        phase = str(old["status"].get("phase") or "")
        if phase == "Succeeded" and not (restart and selector):
            raise _HttpError(
                400, 3, "To retry a succeeded workflow, set the options restartSuccessful and nodeFieldSelector"
            )
        if phase not in ("Failed", "Error", "Succeeded"):
            raise _HttpError(400, 3, f"Cannot retry a workflow in phase {phase}")
        new = copy.deepcopy(old)
        meta, status = new["metadata"], new["status"]
        for label in ("workflows.argoproj.io/completed", ARCHIVING_STATUS):
            (meta.get("labels") or {}).pop(label, None)
        spec = new.setdefault("spec", {})
        spec.pop("shutdown", None)
        if spec.get("activeDeadlineSeconds") == 0:  # it was terminated
            del spec["activeDeadlineSeconds"]
        status.pop("phase", None)
        status.update(message="", startedAt=_NOW, finishedAt=None)
        status["nodes"] = _retry_nodes(status.get("nodes") or {}, _node_selector(selector) if restart else None)
        meta.update(uid=str(uuid.uuid4()), namespace=namespace)
        meta.pop("resourceVersion", None)
        with self._lock:
            if (namespace, name) in self.workflows:
                raise _HttpError(409, 6, f'workflows.argoproj.io "{name}" already exists')
            self._touch(new)
            self.workflows[(namespace, name)] = new
        return copy.deepcopy(new)

    def archived_resubmit(self, uid: str, body: dict[str, Any]) -> dict[str, Any]:
        """``ResubmitArchivedWorkflow``: a new run of the archived one in the body's namespace, as
        ``FormulateResubmitWorkflow`` makes it (``generateName`` from its name, its spec, its user
        labels, ``resubmitted-from-workflow``); ``memoized`` needs a Failed or Error run (400)."""
        old = self.archived_get(uid)
        namespace, memoized = self._archived_namespace(body), bool(body.get("memoized"))
        if memoized and old["status"].get("phase") not in ("Failed", "Error"):
            raise _HttpError(400, 3, "workflow must be Failed/Error to resubmit in memoized mode")
        return self._resubmit(namespace, old, memoized)

    @staticmethod
    def _archived_namespace(body: dict[str, Any]) -> str:
        namespace = str(body.get("namespace") or "")
        if not namespace:
            raise _HttpError(400, 3, "the double needs the namespace to create the run in (Argo's UI sends it)")
        return namespace

    def get(self, namespace: str, name: str) -> dict[str, Any]:
        """``GetWorkflow``: the cluster's run; on Argo >= 3.6 (``unified``), else the archive's
        latest run of that name (``getWorkflow``, server/workflow/workflow_server.go)."""
        wf = self.workflows.get((namespace, name))
        if wf is not None or not self.unified:
            return copy.deepcopy(self.find(namespace, name))
        runs = [
            w
            for w in self.archived.values()
            if w["metadata"]["name"] == name and w["metadata"]["namespace"] == namespace
        ]
        if not runs:
            self.find(namespace, name)  # the cluster's 404
        latest = max(runs, key=lambda w: str((w.get("status") or {}).get("startedAt") or ""))
        return self.archived_get(str(latest["metadata"]["uid"]))

    def log_lines(self, namespace: str, name: str, pod: str | None) -> Iterator[str]:
        self.find(namespace, name)
        for pod_name, content in self.logs.get((namespace, name), []):
            if pod is None or pod == pod_name:
                yield json.dumps({"result": {"content": content, "podName": pod_name}})

    def output_artifact(self, workflow: dict[str, Any], node_id: str, artifact: str) -> tuple[bytes, str]:
        """The stored object of a node's output artifact and its file name, as Argo's
        ``GetOutputArtifact`` (server/artifacts/artifact_server.go) gives them: streamed as
        stored (``returnArtifact``: a ``.tgz`` stays one), named by its key's base name.
        ``workflow``: the cluster's run (``/artifacts/``) or the archive's (``/artifacts-by-uid/``)."""
        client, bucket, key = self._locate(workflow, node_id, "outputs", artifact)
        return _object(client, bucket, key), posixpath.basename(key.rstrip("/"))

    def artifact_file(
        self, workflow: dict[str, Any], node_id: str, direction: str, artifact: str, file_name: str, listing: bool
    ) -> tuple[int, bytes, dict[str, str]]:
        """``GetArtifactFile`` (artifact_server.go): the artifact's key with ``file_name``
        appended (``AppendToKey``); a path without a trailing slash that is a "directory"
        (some object under ``key/``: ``IsDirectory``, workflow/artifacts/s3/s3.go) is redirected
        (307) to the slash form, which lists every object under it (``ListDirectory``, recursive)
        as ``renderDirectoryListing`` does, or redirects to ``index.html`` at its root; a file
        is streamed as ``returnArtifact`` does."""
        client, bucket, key = self._locate(workflow, node_id, direction, artifact)
        key = posixpath.normpath(posixpath.join(key, file_name or "."))
        under = [o.object_name for o in client.list_objects(bucket, prefix=key + "/", recursive=True)]
        under = [str(k) for k in under if not str(k).endswith("/")]
        if not listing:
            if under:
                return 307, b"", {"Location": "/"}
            filename = posixpath.basename(key)
            kind = mimetypes.guess_type(filename)[0] or ""
            return (
                200,
                _object(client, bucket, key),
                {"Content-Disposition": f'filename="{filename}"', "Content-Type": kind},
            )
        if not under and not _exists(client, bucket, key):
            raise _HttpError(404, 5, "Not Found")  # listObjects: CodeNotFound, "no key found"
        entries: list[str] = []
        for found in under:
            folder, file = posixpath.split(found[len(key) + 1 :])
            if not folder and file == "index.html":
                return 307, b"", {"Location": "index.html"}
            entry = file if not folder else folder + "/"
            if entry not in entries:
                entries.append(entry)
        items = "".join(f'<li><a href="./{html.escape(e)}">{html.escape(e)}</a></li>\n' for e in entries)
        page = f'<html><body><ul>\n<li><a href="..">..</a></li>\n{items}</ul></body></html>'
        return 200, page.encode(), {"Content-Type": "text/html; charset=utf-8"}

    def _locate(self, wf: dict[str, Any], node_id: str, direction: str, artifact: str) -> tuple[Any, str, str]:
        """``getArtifactAndDriver`` (artifact_server.go): the node's artifact by name (500 when
        absent), relocated to the artifact repository unless its own location is full
        (``Relocate``; S3 ``HasLocation``: endpoint, bucket and key)."""
        from minio import Minio

        node = ((wf.get("status") or {}).get("nodes") or {}).get(node_id)
        if node is None:
            raise _HttpError(500, 13, "Internal Server Error")
        arts = (node.get(direction) or {}).get("artifacts") or []
        art = next((a for a in arts if a.get("name") == artifact), None)
        if art is None or not (art.get("s3") or {}).get("key"):
            raise _HttpError(500, 13, "Internal Server Error")
        s3, repo = art["s3"], self.artifact_repository or {}
        if not repo and self.objects:
            return _MemoryBucket(self.objects), "", str(s3["key"])
        full = all(s3.get(k) for k in ("endpoint", "bucket", "key"))
        if not repo or (full and s3.get("endpoint") != repo.get("endpoint")):
            raise _HttpError(500, 13, "Internal Server Error")  # the double holds only the repository's keys
        where = s3 if full else repo
        client = Minio(
            str(where["endpoint"]), access_key=str(repo["accessKey"]), secret_key=str(repo["secretKey"]),
            secure=not where.get("insecure", False),
        )  # fmt: skip
        return client, str(where["bucket"]), str(s3["key"])

    def _touch(self, wf: dict[str, Any]) -> None:
        wf["metadata"]["resourceVersion"] = str(next(self._versions))


class _MemoryBucket:
    """``ArgoDouble.objects`` read as the S3 client reads a bucket (a missing key: ``KeyError``)."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects

    def get_object(self, bucket: str, key: str) -> Any:
        data = self.objects[key]

        class Response(io.BytesIO):
            def release_conn(self) -> None:
                return

        return Response(data)

    def stat_object(self, bucket: str, key: str) -> None:
        self.objects[key]

    def list_objects(self, bucket: str, prefix: str, recursive: bool = True) -> list[Any]:
        return [SimpleNamespace(object_name=k) for k in sorted(self.objects) if k.startswith(prefix)]


class _HttpError(Exception):
    """An error answer in grpc-gateway's shape: ``{"code": ..., "message": ...}``."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _object(client: Any, bucket: str, key: str) -> bytes:
    """One object's bytes; a missing one is a 404 (the S3 driver's ``CodeNotFound``)."""
    from minio.error import S3Error

    try:
        response = client.get_object(bucket, key)
    except KeyError:
        raise _HttpError(404, 5, "Not Found") from None
    except S3Error as exc:
        if exc.code in ("NoSuchKey", "NoSuchBucket"):
            raise _HttpError(404, 5, "Not Found") from None
        raise _HttpError(500, 13, "Internal Server Error") from None
    try:
        return bytes(response.read())
    finally:
        response.close()
        response.release_conn()


def _file_headers(filename: str) -> dict[str, str]:
    """``returnArtifact``'s headers: the key's base name, the type its extension says."""
    return {"Content-Disposition": f'filename="{filename}"', "Content-Type": mimetypes.guess_type(filename)[0] or ""}


def _exists(client: Any, bucket: str, key: str) -> bool:
    from minio.error import S3Error

    try:
        client.stat_object(bucket, key)
    except (S3Error, KeyError):
        return False
    return True


def _archive_columns(wf: dict[str, Any]) -> dict[str, Any]:
    """What the archive lists of a run: the columns ``ListWorkflows`` selects
    (persist/sqldb/workflow_archive.go), its labels marked ``Persisted``, no nodes."""
    meta, status = wf["metadata"], wf.get("status") or {}
    labels = {**(meta.get("labels") or {}), ARCHIVING_STATUS: "Persisted"}
    kept = ("phase", "startedAt", "finishedAt", "progress", "message", "estimatedDuration", "resourcesDuration")
    return {
        "metadata": {
            "name": meta["name"], "namespace": meta["namespace"], "uid": meta["uid"],
            "creationTimestamp": meta.get("creationTimestamp"), "labels": labels,
            "annotations": dict(meta.get("annotations") or {}),
        },
        "spec": {k: v for k, v in (wf.get("spec") or {}).items() if k == "suspend"},
        "status": {k: status[k] for k in kept if k in status},
    }  # fmt: skip


def _label_requirements(selector: str) -> list[tuple[str, str, str]]:
    """A label selector's equality and existence requirements as ``(key, op, value)``
    (``k=v``, ``k==v``, ``k!=v``, ``k``, ``!k``: ``labels.ParseToRequirements``); set-based
    ones (``in``, ``notin``) are refused (400)."""
    out: list[tuple[str, str, str]] = []
    for part in filter(None, (p.strip() for p in selector.split(","))):
        if " in " in part or " notin " in part or "(" in part:
            raise _HttpError(400, 3, f"unsupported label selector {part!r} in the double")
        if "!=" in part:
            key, value = part.split("!=", 1)
            out.append((key.strip(), "!=", value.strip()))
        elif "=" in part:
            key, value = part.replace("==", "=").split("=", 1)
            out.append((key.strip(), "=", value.strip()))
        elif part.startswith("!"):
            out.append((part[1:].strip(), "!", ""))
        else:
            out.append((part, "exists", ""))
    return out


def _labels_match(labels: dict[str, str], wanted: list[tuple[str, str, str]]) -> bool:
    checks = {
        "=": lambda k, v: labels.get(k) == v,
        "!=": lambda k, v: labels.get(k) != v,
        "!": lambda k, v: k not in labels,
        "exists": lambda k, v: k in labels,
    }
    return all(checks[op](key, value) for key, op, value in wanted)


def _archive_query(query: dict[str, list[str]]) -> tuple[str, str]:
    """The namespace and name of ``ListArchivedWorkflows``' field selector (or ``namespace``), as
    ``BuildListOptions`` (server/utils/list_options.go) reads them; other selectors are refused."""
    namespace, name = (query.get("namespace") or [""])[0], ""
    for selector in filter(None, (query.get("listOptions.fieldSelector") or [""])[0].split(",")):
        if selector.startswith("metadata.namespace="):
            namespace = selector.split("=", 1)[1].lstrip("=")
        elif selector.startswith("metadata.name="):
            name = selector.split("=", 1)[1].lstrip("=")
        else:
            raise _HttpError(400, 3, f"unsupported requirement {selector}")
    return namespace, name


_GROUPS = ("Steps", "StepGroup", "DAG", "TaskGroup")  # isGroupNodeType (workflow/util/util.go)


def _node_selector(selector: str) -> tuple[str, str]:
    """A node field selector of one ``field=value`` (``SelectorMatchesNode``'s ``displayName``,
    ``name``, ``id``, ``templateName``, ``phase``); others are refused by the double (400)."""
    field, _, value = selector.replace("==", "=").partition("=")
    if field not in ("displayName", "name", "id", "templateName", "phase") or not value or "," in value:
        raise _HttpError(400, 3, f"unsupported node field selector {selector!r} in the double")
    return field, value


def _retry_nodes(nodes: dict[str, Any], selected: tuple[str, str] | None) -> dict[str, Any]:
    """``FormulateRetryWorkflow``'s nodes: each failed pod (and each node ``selected`` picks) is
    deleted with its descendants (``resetPath``: the node and ``getChildren``); the group nodes
    above it reset (``resetNode``: Running, no message, not finished); the others kept."""
    parents = {child: nid for nid, node in nodes.items() for child in node.get("children") or []}
    starts = [
        nid
        for nid, node in nodes.items()
        if (node.get("type") == "Pod" and node.get("phase") in ("Failed", "Error"))
        or (selected is not None and str(node.get(selected[0]) or "") == selected[1])
    ]
    deleted: set[str] = set()
    todo = list(starts)
    while todo:
        nid = todo.pop()
        if nid not in deleted:
            deleted.add(nid)
            todo.extend((nodes.get(nid) or {}).get("children") or [])
    reset: set[str] = set()
    for nid in starts:
        up = parents.get(nid)
        while up is not None:
            if (nodes.get(up) or {}).get("type") in _GROUPS:
                reset.add(up)
            up = parents.get(up)
    kept = {nid: copy.deepcopy(node) for nid, node in nodes.items() if nid not in deleted}
    for nid in reset - deleted:
        node = kept[nid]
        node.update(phase=node["phase"] if node.get("phase") == "Skipped" else "Running", message="",
                    startedAt=_NOW, finishedAt=None)  # fmt: skip
    return kept


def _suffix() -> str:
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=5))


def _handler_for(double: ArgoDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            return

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            double.requests.append((method, self.path))
            if url.path.startswith(("/artifacts/", "/artifacts-by-uid/", "/artifact-files/")) and method == "GET":
                self._artifact(url.path)
                return
            try:
                self._check_token()
                body = self._body()
                status, payload = _route(double, method, url.path, parse_qs(url.query), body)
            except _HttpError as err:
                status, payload = err.status, {"code": err.code, "message": err.message}
            self._send(status, payload)

        def _artifact(self, path: str) -> None:
            """``/artifacts/{namespace}/{workflow}/{node}/{artifact}``: an HTTP route beside the
            API (server/apiserver/argoserver.go), so its errors are plain text (``http.Error``) and
            its token comes in the ``Authorization`` header or the ``authorization`` cookie."""
            pairs = (c.strip().partition("=") for c in (self.headers.get("Cookie") or "").split(";"))
            cookie = next((value for key, _, value in pairs if key == "authorization"), "")
            given = self.headers.get("Authorization") or cookie
            headers: dict[str, str] = {}
            try:
                if double.token and given != f"Bearer {double.token}":
                    raise _HttpError(401, 16, "Unauthorized")
                if path.startswith("/artifact-files/"):
                    status, data, headers = self._artifact_file(path)
                elif path.startswith("/artifacts-by-uid/"):  # getArtifactByUID: /artifacts-by-uid/{uid}/{node}/{name}
                    parts = [unquote(p) for p in path.split("/", 4)]
                    if len(parts) != 5:
                        raise _HttpError(400, 3, "Bad Request")
                    data, filename = double.output_artifact(self._archived(parts[2]), parts[3], parts[4])
                    status, headers = 200, _file_headers(filename)
                else:
                    parts = [unquote(p) for p in path.split("/", 5)]
                    if len(parts) != 6:
                        raise _HttpError(400, 3, "Bad Request")
                    data, filename = double.output_artifact(double.find(parts[2], parts[3]), *parts[4:6])
                    status, headers = 200, _file_headers(filename)
            except _HttpError as err:
                status, data = err.status, f"{err.message}\n".encode()
                headers = {"Content-Type": "text/plain; charset=utf-8"}
            if headers.get("Location") == "/":
                headers["Location"] = self.path + "/"  # http.Redirect to r.URL.String()+"/"
            elif headers.get("Location") == "index.html":
                headers["Location"] = self.path + "index.html"
            self.send_response(status)
            for header, value in headers.items():
                self.send_header(header, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _artifact_file(self, path: str) -> tuple[int, bytes, dict[str, str]]:
            """``/artifact-files/{namespace}/workflows/{workflow}/{node}/{outputs|inputs}/{artifact}[/{file}...]``
            split as ``GetArtifactFile`` splits it (the file part is ``path.Clean``-ed)."""
            parts = [unquote(p) for p in path.split("/")]
            if len(parts) < 8 or parts[6] not in ("outputs", "inputs"):
                raise _HttpError(400, 3, "Bad Request")
            if parts[3] == "workflows":
                workflow = double.find(parts[2], parts[4])
            elif parts[3] == "archived-workflows":  # by uid, of this namespace only
                workflow = self._archived(parts[4])
                if workflow["metadata"].get("namespace") != parts[2]:
                    raise _HttpError(400, 3, "Bad Request")
            else:
                raise _HttpError(400, 3, "Bad Request")
            file_name = posixpath.normpath("/".join(parts[8:])) if len(parts) > 8 else ""
            return double.artifact_file(workflow, parts[5], parts[6], parts[7], file_name, path.endswith("/"))

        def _archived(self, uid: str) -> dict[str, Any]:
            """``wfArchive.GetWorkflow(uid)`` as the artifact routes read it (404 "workflow not
            yet archived")."""
            workflow = double.archived.get(uid)
            if workflow is None:
                raise _HttpError(404, 5, "workflow not yet archived")
            return workflow

        def _check_token(self) -> None:
            if double.token and self.headers.get("Authorization") != f"Bearer {double.token}":
                raise _HttpError(
                    401,
                    16,
                    "token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/",
                )

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                return json.loads(raw) if raw else {}
            except ValueError:
                raise _HttpError(400, 3, "body is not JSON") from None

        def _send(self, status: int, payload: Any) -> None:
            if isinstance(payload, str):
                data, kind = payload.encode(), "application/json"
            else:
                data, kind = json.dumps(payload).encode(), "application/json"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _route(
    double: ArgoDouble, method: str, path: str, query: dict[str, list[str]], body: dict[str, Any]
) -> tuple[int, Any]:
    parts = path.strip("/").split("/")
    if parts[:3] == ["api", "v1", "archived-workflows"] and method == "PUT" and len(parts) == 5:
        if parts[4] == "retry":
            return 200, double.archived_retry(parts[3], body)
        if parts[4] == "resubmit":
            return 200, double.archived_resubmit(parts[3], body)
    if parts[:3] == ["api", "v1", "archived-workflows"] and method == "GET" and len(parts) <= 4:
        if len(parts) == 4:
            return 200, double.archived_get(parts[3])
        namespace, name = _archive_query(query)
        if double.archive_forbidden:  # auth.CanI refused (archived_workflow_server.go)
            raise _HttpError(
                403, 7, f'Permission denied, you are not allowed to list workflows in namespace "{namespace}".'
            )
        prefix, labels = (query.get("namePrefix") or [""])[0], (query.get("listOptions.labelSelector") or [""])[0]
        return 200, double.archived_list(namespace, name, prefix, labels)
    if parts[:3] != ["api", "v1", "workflows"] or len(parts) < 4:
        raise _HttpError(404, 5, f"Not Found: {path}")
    namespace, rest = parts[3], parts[4:]
    fields = (query.get("fields") or [""])[0]
    if not rest:
        if method == "POST":
            return 200, double.create(namespace, body)
        if method == "GET":
            return 200, only_fields(double.list_body(namespace), fields)
    elif len(rest) == 1:
        if method == "GET":
            return 200, only_fields(double.get(namespace, rest[0]), fields)
        if method == "DELETE":
            double.find(namespace, rest[0])
            del double.workflows[(namespace, rest[0])]
            return 200, {}
    elif len(rest) == 2 and method == "PUT" and rest[1] in ("terminate", "stop", "retry", "resubmit"):
        return 200, double.action(namespace, rest[0], rest[1], body)
    elif len(rest) == 2 and method == "GET" and rest[1] == "log":
        pod = (query.get("podName") or [None])[0]
        return 200, "\n".join(double.log_lines(namespace, rest[0], pod)) + "\n"
    raise _HttpError(404, 5, f"Not Found: {method} {path}")


def only_fields(answer: dict[str, Any], fields: str) -> dict[str, Any]:
    """The ``fields`` query of ListWorkflows and GetWorkflow (``WorkflowListRequest.fields``,
    ``WorkflowGetRequest.fields`` in ``pkg/apiclient/workflow/workflow.proto``): dotted paths
    to keep (``items.status.phase``), or, after a leading ``-``, to drop (``-items.status.nodes``).
    The same walk as Argo's ``Cleaner.cleanItem`` (``util/fields/fields.go``): a key stays when
    its path is listed or is the start of a listed path; lists are walked item by item."""
    if not fields:
        return answer
    exclude = fields.startswith("-")
    wanted = set((fields[1:] if exclude else fields).split(","))

    def clean(path: list[str], item: Any) -> None:
        if isinstance(item, dict):
            for key in list(item):
                here = ".".join([*path, key])
                listed = here in wanted
                above = listed or any(w.startswith(here) for w in wanted)
                if (exclude and not listed) or (not exclude and above):
                    if not listed:
                        clean([*path, key], item[key])
                else:
                    del item[key]
        elif isinstance(item, list):
            for element in item:
                clean(path, element)

    clean([], answer)
    return answer


@contextmanager
def running_double(token: str | None = "v2:double-token", unified: bool = False) -> Iterator[ArgoDouble]:
    double = ArgoDouble(token, unified).start()
    try:
        yield double
    finally:
        double.close()
