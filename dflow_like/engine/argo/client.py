"""A small client of the Argo Server REST API, on the ``argo-workflows`` package.

Responses are read as raw JSON (``_preload_content=False``), never through the
generated models: those reject valid server answers (``startedAt: null``, enum
values newer than the package), and a workflow's status must never crash a poll.
Every failure becomes an :class:`ArgoError` that names the host, namespace and
workflow and never contains the token.

Archived runs (the workflow archive, ``ArchivedWorkflowService``: server/workflowarchive/
archived_workflow_server.go) are addressed by uid, as the Argo Server addresses them: the
archive's list and get, its retry and resubmit (which start a run in the cluster), and the
artifact routes that read a run from the archive (``/artifacts-by-uid/``,
``/artifact-files/{namespace}/archived-workflows/{uid}/``).
"""

from __future__ import annotations

import builtins
import html
import json
import re
import urllib.parse
from typing import Any

from ._optional import import_optional

__all__ = ["ARCHIVING_STATUS", "ArgoClient", "ArgoError", "in_cluster"]

# The label Argo keeps a run's archiving state in (``LabelKeyWorkflowArchivingStatus``,
# workflow/common/common.go): ``Pending``, ``Archived`` (archived, still in the cluster), and
# ``Persisted`` on a run read from the archive (persist/sqldb/workflow_archive.go, Argo >= 3.5).
ARCHIVING_STATUS = "workflows.argoproj.io/workflow-archiving-status"

_TIMEOUT = (10.0, 60.0)  # connect, read (seconds)
_Query = list[tuple[str, Any]]  # query parameters, in order
_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


class ArgoError(RuntimeError):
    """An Argo Server request failed; ``status`` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class ArgoClient:
    """Workflows in one namespace of one Argo Server (``host`` like ``https://argo:2746``)."""

    def __init__(
        self,
        host: str,
        token: str | None = None,
        namespace: str = "argo",
        verify_ssl: bool = True,
    ) -> None:
        self.host = host.rstrip("/")
        self.namespace = namespace
        self._token = _bare_token(token)
        self._verify_ssl = verify_ssl
        self._api = _workflow_api(self.host, self._token, verify_ssl)
        self._archive_api = _archive_api(self._api.api_client)

    def __repr__(self) -> str:
        return f"ArgoClient(host={self.host!r}, namespace={self.namespace!r})"

    def create(self, manifest: dict[str, Any]) -> str:
        """Submit ``manifest``; return the workflow's name (generated if ``generateName``)."""
        body = {"namespace": self.namespace, "workflow": manifest}
        wanted = (manifest.get("metadata") or {}).get("name") or "(generateName)"
        created = self._call("create", wanted, "create_workflow", body=body)
        return str(created["metadata"]["name"])

    def get(self, name: str) -> dict[str, Any]:
        """The workflow as the server's raw JSON (``status`` fields may be null)."""
        workflow: dict[str, Any] = self._call("get", name, "get_workflow")
        return workflow

    def list(self, label_selector: str | None = None, fields: str | None = None) -> list[dict[str, Any]]:
        """The namespace's workflows; ``fields`` (``WorkflowListRequest.fields`` in Argo's
        ``pkg/apiclient/workflow/workflow.proto``, e.g. ``"items.metadata.name,items.status.phase"``)
        asks the server to leave out the rest, such as every node of every run."""
        query = [("listOptions.labelSelector", label_selector)] if label_selector else []
        if fields:
            query.append(("fields", fields))
        answer = self._call("list", "", "list_workflows", query=query)
        return list(answer.get("items") or [])  # Argo sends "items": null when empty

    def list_archived(
        self, label_selector: str | None = None, name: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        """The namespace's archived workflows, each as the archive lists it (metadata, phase,
        times, message; no nodes), labelled ``Persisted``. The namespace goes in the field selector
        (``metadata.namespace=``), which every server reads: Argo 3.4 knows no ``namespace``
        parameter here, later ones still accept the selector (``BuildListOptions``,
        server/utils/list_options.go); ``name`` selects one name (``metadata.name=``)."""
        selector = f"metadata.namespace={self.namespace}" + (f",metadata.name={name}" if name else "")
        query: _Query = [("listOptions.fieldSelector", selector)]
        if label_selector:
            query.append(("listOptions.labelSelector", label_selector))
        context = f"Argo list of archived workflows in namespace {self.namespace!r} at {self.host}"
        answer = self._call("list", "", "list_archived_workflows", query=query, api=self._archive_api, context=context)
        items = list(answer.get("items") or [])
        for item in items:  # labelled as Argo >= 3.5 labels what it reads from the archive
            meta = item.setdefault("metadata", {})
            (meta.get("labels") or meta.setdefault("labels", {}))[ARCHIVING_STATUS] = "Persisted"
        return items

    def get_archived(self, uid: str) -> dict[str, Any]:
        """One archived workflow, whole (its nodes too), by uid; labelled ``Persisted`` as Argo
        labels what it reads from the archive (Argo 3.4 did not). A run of another namespace is
        not found: this client sees one namespace."""
        context = f"Argo get of archived workflow {uid!r} in namespace {self.namespace!r} at {self.host}"
        workflow: dict[str, Any] = self._call(
            "get", uid, "get_archived_workflow", path={"uid": uid}, api=self._archive_api, context=context
        )
        meta = workflow.setdefault("metadata", {})
        if meta.get("namespace") not in (None, self.namespace):
            raise ArgoError(f"{context} failed: HTTP 404: not found in this namespace", 404)
        (meta.get("labels") or meta.setdefault("labels", {}))[ARCHIVING_STATUS] = "Persisted"
        return workflow

    def retry_archived(self, uid: str, step: str | None = None) -> str:
        """Retry a run the cluster no longer holds, from the archive (``RetryArchivedWorkflow``,
        server/workflowarchive/archived_workflow_server.go: ``PUT /api/v1/archived-workflows/{uid}/retry``).
        The server recreates the run in the cluster under its name (a new uid), its failed steps
        reset; it refuses (409) while a run of that name is in the cluster, and a run neither
        Failed nor Error (400, ``FormulateRetryWorkflow``) unless ``step`` names one to rerun.
        The namespace goes in the body, as Argo's UI sends it (``retryArchived``,
        ui/src/shared/services/workflows-service.ts): the server creates the run there.
        Returns the new run's name."""
        extra = {"restartSuccessful": True, "nodeFieldSelector": f"displayName={step}"} if step else {}
        return self._archived_put("retry", uid, "retry_archived_workflow", **extra)

    def resubmit_archived(self, uid: str, memoized: bool = False) -> str:
        """A new run of an archived one (``ResubmitArchivedWorkflow``: ``PUT
        /api/v1/archived-workflows/{uid}/resubmit``), named from its name; ``memoized`` needs a
        Failed or Error run (``FormulateResubmitWorkflow``). Returns the new run's name."""
        return self._archived_put("resubmit", uid, "resubmit_archived_workflow", memoized=memoized)

    def _archived_put(self, action: str, uid: str, operation: str, **extra: Any) -> str:
        context = f"Argo {action} of archived workflow {uid!r} in namespace {self.namespace!r} at {self.host}"
        body = {"uid": uid, "namespace": self.namespace, **extra}
        new = self._call(action, uid, operation, body=body, path={"uid": uid}, api=self._archive_api, context=context)
        return str(new["metadata"]["name"])

    def terminate(self, name: str) -> None:
        self._put("terminate", name, "terminate_workflow")

    def stop(self, name: str) -> None:
        self._put("stop", name, "stop_workflow")

    def retry(self, name: str, step: str | None = None) -> None:
        """Argo's retry; with ``step``, that node runs again even if it succeeded (and what follows it):
        ``WorkflowRetryRequest``'s ``nodeFieldSelector`` with ``restartSuccessful``."""
        if step is None:
            self._put("retry", name, "retry_workflow")
        else:
            self._put("retry", name, "retry_workflow", restartSuccessful=True, nodeFieldSelector=f"displayName={step}")

    def resubmit(self, name: str, memoized: bool = False) -> str:
        """Start a new run of ``name``; return the new workflow's name."""
        new = self._put("resubmit", name, "resubmit_workflow", memoized=memoized)
        return str(new["metadata"]["name"])

    def delete(self, name: str) -> None:
        self._call("delete", name, "delete_workflow")

    def logs(self, name: str, pod_name: str | None = None, container: str = "main") -> str:
        """The logs of a workflow (or of one pod), as one text."""
        query = [("logOptions.container", container)]
        if pod_name:
            query.append(("podName", pod_name))
        raw = self._call("logs", name, "workflow_logs", query=query, raw=True)
        return _log_text(raw, self._context("logs", name))

    def output_artifact(self, name: str, node_id: str, artifact: str, path: str, uid: str | None = None) -> None:
        """Write a node's output artifact to ``path`` as the server stores it (a ``.tgz`` unless
        ``archive: none``), through ``/artifacts/{namespace}/{workflow}/{node}/{artifact}``:
        ``GetOutputArtifact`` in server/artifacts/artifact_server.go, an HTTP route served
        beside the gRPC workflow API (server/apiserver/argoserver.go), hence not in its client.
        With ``uid``, of the archived run: ``/artifacts-by-uid/{uid}/{node}/{artifact}``
        (``GetOutputArtifactByUID``; the name route reads only the cluster's runs)."""
        context = self._artifact_context(name, node_id, artifact)
        if uid:
            self._artifact_get("/artifacts-by-uid/" + _quoted(uid, node_id, artifact), context, path)
        else:
            self._artifact_get("/artifacts/" + _quoted(self.namespace, name, node_id, artifact), context, path)

    def output_artifact_file(
        self, name: str, node_id: str, artifact: str, file: str, path: str, uid: str | None = None
    ) -> None:
        """Write one file of an unarchived output artifact (a directory of objects) to ``path``:
        ``/artifact-files/{namespace}/workflows/{workflow}/{node}/outputs/{artifact}/{file}``
        (``GetArtifactFile``, artifact_server.go: the file is appended to the artifact's key)."""
        parts = (*self._file_route(name, uid), node_id, "outputs", artifact, *filter(None, file.split("/")))
        url = f"/artifact-files/{_quoted(*parts)}"
        self._artifact_get(url, self._artifact_context(name, node_id, artifact) + f", file {file!r}", path)

    def output_artifact_text(self, name: str, node_id: str, artifact: str, uid: str | None = None) -> str:
        """A one-file output artifact's text, through ``GetArtifactFile`` as Argo's UI reads a
        step's ``main-logs`` (``getArtifactLogsPath``, ui/src/shared/services/workflows-service.ts)."""
        parts = (*self._file_route(name, uid), node_id, "outputs", artifact)
        data = self._artifact_get(f"/artifact-files/{_quoted(*parts)}", self._artifact_context(name, node_id, artifact))
        return data.decode("utf-8", "replace")

    def output_artifact_listing(
        self, name: str, node_id: str, artifact: str, directory: str = "", uid: str | None = None
    ) -> builtins.list[str]:
        """What the server lists in a directory of an unarchived output artifact: file names, and
        sub-directories ending in ``/`` (``renderDirectoryListing``, artifact_server.go; one
        level, except that a directory holding only sub-directories is named by its deeper path)."""
        route = self._file_route(name, uid)
        parts = [*route, node_id, "outputs", artifact, *filter(None, directory.split("/"))]
        context = self._artifact_context(name, node_id, artifact) + (f", directory {directory!r}" if directory else "")
        page = self._artifact_get(f"/artifact-files/{_quoted(*parts)}/", context)
        names = (html.unescape(found) for found in re.findall(r'<li><a href="[^"]*">([^<]*)</a></li>', page.decode()))
        return [n for n in names if n != ".."]

    def _file_route(self, name: str, uid: str | None) -> tuple[str, str, str]:
        """``GetArtifactFile``'s run: ``workflows/{name}``, or ``archived-workflows/{uid}`` for
        a run read from the archive (artifact_server.go: "'id' field represents 'uid' for
        archived workflows and 'name' for non-archived")."""
        return (self.namespace, "archived-workflows", uid) if uid else (self.namespace, "workflows", name)

    def _artifact_context(self, name: str, node_id: str, artifact: str) -> str:
        where = f"workflow {name!r} in namespace {self.namespace!r} at {self.host}"
        return f"Argo artifact {artifact!r} of node {node_id!r} of {where}"

    def _artifact_get(self, url: str, context: str, path: str | None = None) -> bytes:
        """GET one of the server's artifact routes with the token; the body is written to
        ``path`` (streamed), or returned. A redirect is refused: ``GetArtifactFile`` redirects
        a directory to its listing, and a listing holding ``index.html`` to that page."""
        urllib3 = import_optional("urllib3")
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED" if self._verify_ssl else "CERT_NONE", retries=1)
        try:
            response = pool.request("GET", f"{self.host}{url}", headers=headers, redirect=False,
                                    preload_content=False, timeout=urllib3.Timeout(*_TIMEOUT))  # fmt: skip
            try:
                if response.status in (301, 302, 307, 308):
                    where = str(response.headers.get("Location") or "")
                    what = "an index.html page" if where.endswith("index.html") else "a directory"
                    raise ArgoError(f"{context}: the server shows {what} there, not the file", response.status)
                if response.status != 200:
                    detail = self._scrub(response.read(300).decode("utf-8", "replace").strip())
                    raise ArgoError(f"{context} failed: HTTP {response.status}: {detail}", response.status)
                if path is None:
                    return bytes(response.read())
                with open(path, "wb") as out:
                    for chunk in response.stream(1 << 20):
                        out.write(chunk)
                return b""
            finally:
                response.release_conn()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            reason = self._scrub(str(getattr(exc, "reason", None) or exc))
            raise ArgoError(f"{context}: cannot read it from the Argo Server ({reason})") from None

    # -- plumbing --------------------------------------------------------------------

    def _put(self, action: str, name: str, operation: str, **extra: Any) -> Any:
        body = {"name": name, "namespace": self.namespace, **extra}
        return self._call(action, name, operation, body=body)

    def _call(
        self,
        action: str,
        name: str,
        operation: str,
        body: Any = None,
        query: _Query | None = None,
        raw: bool = False,
        path: dict[str, str] | None = None,
        api: Any = None,
        context: str | None = None,
    ) -> Any:
        """Call one endpoint of WorkflowServiceApi (or of ``api``, such as the archive's); return
        its JSON body (text if ``raw``); ``path`` gives the path's parameters when they are not
        the namespace and ``name``.

        The generated endpoint wrappers type-check bodies against the models (and
        refuse ``_check_input_type=False``), so the request goes through the
        package's ``ApiClient.call_api`` with the endpoint's own path and method.
        """
        exceptions = import_optional("argo_workflows.exceptions")
        urllib3 = import_optional("urllib3")
        context = context or self._context(action, name)
        settings = getattr(api or self._api, f"{operation}_endpoint").settings
        path_params = path if path is not None else {"namespace": self.namespace, **({"name": name} if name else {})}
        try:
            response = self._api.api_client.call_api(
                settings["endpoint_path"], settings["http_method"], path_params=path_params,
                query_params=query or [], header_params=_HEADERS, body=body,
                auth_settings=settings["auth"], _preload_content=False,
                _return_http_data_only=True, _request_timeout=_TIMEOUT,
            )  # fmt: skip
            text = response.data.decode("utf-8", "replace")
        except exceptions.ApiException as exc:
            raise self._http_error(context, exc) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            reason = self._scrub(str(getattr(exc, "reason", None) or exc))
            raise ArgoError(f"{context}: cannot reach the Argo Server ({reason})") from None
        if raw:
            return text
        try:
            return json.loads(text) if text.strip() else {}
        except ValueError:
            snippet = self._scrub(text[:200])
            raise ArgoError(f"{context}: the answer is not JSON: {snippet!r}") from None

    def _context(self, action: str, name: str) -> str:
        target = f"workflow {name!r}" if name else "workflows"
        return f"Argo {action} of {target} in namespace {self.namespace!r} at {self.host}"

    def _http_error(self, context: str, exc: Any) -> ArgoError:
        status = int(exc.status or 0)
        detail = _server_message(exc.body) or str(exc.reason or "")
        hint = {
            401: "the token was refused (config['token'])",
            403: "the token may not do this in this namespace",
            404: "not found",
        }.get(status, "")
        parts = [p for p in (hint, self._scrub(detail)) if p]
        return ArgoError(f"{context} failed: HTTP {status}: {'; '.join(parts)}", status)

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text


def _quoted(*parts: str) -> str:
    return "/".join(urllib.parse.quote(p, safe="") for p in parts)


def _bare_token(token: str | None) -> str | None:
    """Accept both ``v2:abc`` and ``Bearer v2:abc`` (what ``argo auth token`` prints)."""
    if not token:
        return None
    token = token.strip()
    return token[len("Bearer ") :].strip() if token.lower().startswith("bearer ") else token


def _workflow_api(host: str, token: str | None, verify_ssl: bool) -> Any:
    argo = import_optional("argo_workflows")
    service = import_optional("argo_workflows.api.workflow_service_api")
    config = argo.Configuration(host=host)
    config.verify_ssl = verify_ssl
    config.retries = 1  # fail fast on a refused connection
    if token:
        config.api_key["BearerToken"] = token
        config.api_key_prefix["BearerToken"] = "Bearer"
    return service.WorkflowServiceApi(argo.ApiClient(config))


def _archive_api(api_client: Any) -> Any:
    """The archive's service on the same connection (``ArchivedWorkflowServiceApi``)."""
    service = import_optional("argo_workflows.api.archived_workflow_service_api")
    return service.ArchivedWorkflowServiceApi(api_client)


def in_cluster(workflow: dict[str, Any]) -> bool:
    """Whether the run is (still) in the cluster, as Argo's UI decides it (``isWorkflowInCluster``,
    ui/src/shared/models/workflows.ts): not one read from the archive (``Persisted``)."""
    labels = (workflow.get("metadata") or {}).get("labels") or {}
    return labels.get(ARCHIVING_STATUS) != "Persisted"


def _server_message(body: Any) -> str:
    """The ``message`` of a grpc-gateway error body, or the body's start."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not body:
        return ""
    try:
        return str(json.loads(body).get("message") or "")
    except (ValueError, AttributeError):
        return str(body)[:200]


def _log_text(stream: str, context: str) -> str:
    """Join the ``{"result": {"content": ...}}`` lines of Argo's log stream."""
    lines: list[str] = []
    for line in stream.splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            lines.append(line)
            continue
        if entry.get("error"):
            message = entry["error"].get("message", entry["error"])
            raise ArgoError(f"{context}: log stream failed: {message}")
        result = entry.get("result") or {}
        lines.append(str(result.get("content", "")))
    return "\n".join(lines)
