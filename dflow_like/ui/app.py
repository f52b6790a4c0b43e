"""The dashboard's web application (Starlette): runs, a run, a step, its log and artifacts, actions.

Nothing answers without the token: a request carries it as ``?token=`` (the URL printed
at start, as Jupyter does), which also sets a same-site, HTTP-only cookie for the pages
and refreshes that follow. Actions are POSTs, which that strict cookie keeps same-site.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from .._transfer import download_artifact
from ..engine.argo._optional import MissingExtraError
from ..engine.argo.client import ArgoError
from ..storage.errors import StorageError
from ..view.logs import tail
from .argo import ArgoRuns, argo_runs_from_config
from .argo_artifacts import place_argo_artifact
from .downloads import artifact_download
from .pages import ARGO, children_page, run_page, run_view, runs_page, step_page
from .store import RunRow, Runs

__all__ = ["COOKIE", "create_app"]

COOKIE = "dflow_like_token"
LOG_CHUNK = 1 << 20


_UNSET: Any = object()


def create_app(token: str, home: Path | None = None, argo: ArgoRuns | None = _UNSET) -> Starlette:
    """The dashboard for the runs under ``home``, and those of ``argo`` (by default the Argo
    Server ``config["host"]`` names, if any); every route needs ``token``."""
    runs = Runs(home)
    startup: tuple[str, ...] = ()
    if argo is _UNSET:
        try:
            argo = argo_runs_from_config()
        except MissingExtraError as exc:  # a host is set but the [argo] extra is missing
            argo, startup = None, (f"Argo runs not shown: {exc}",)

    async def check(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        given = request.query_params.get("token") or request.cookies.get(COOKIE) or ""
        if not secrets.compare_digest(given.encode(), token.encode()):
            return PlainTextResponse("403: this dashboard needs its token (see the URL it printed at start)", 403)
        response = await call_next(request)
        if request.query_params.get("token"):
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return response

    def all_runs(phase: str, text: str) -> tuple[list[RunRow], tuple[str, ...]]:
        """Local runs, then the Argo Server's (a server that does not answer is a note, not an error)."""
        rows, notes = runs.runs(phase, text), startup
        if argo is not None:
            try:
                argo_rows, archive_notes = argo.listing(phase, text)
                rows, notes = rows + argo_rows, notes + archive_notes
            except ArgoError as exc:
                notes = (f"Argo runs not shown: {exc}",)
        rows.sort(key=lambda r: r.created or 0.0, reverse=True)
        return rows, notes

    def index(request: Request) -> Response:
        phase, text = request.query_params.get("phase", ""), request.query_params.get("q", "")
        rows, notes = all_runs(phase, text)
        return HTMLResponse(runs_page(rows, phase, text, notes))

    def run(request: Request) -> Response:
        wf_id = request.path_params["wf_id"]
        plan = runs.plan(wf_id)
        return HTMLResponse(run_page(wf_id, plan, runs.summary(wf_id, plan), request.query_params.get("msg", "")))

    def run_json(request: Request) -> Response:
        wf_id = request.path_params["wf_id"]
        plan = runs.plan(wf_id)
        summary = runs.summary(wf_id, plan)
        return JSONResponse(
            {
                "phase": summary.phase, "running": summary.running, "done": summary.done, "total": summary.total,
                "html": run_view(wf_id, plan, summary),
            }
        )  # fmt: skip

    def runs_json(request: Request) -> Response:
        rows, _ = all_runs(request.query_params.get("phase", ""), request.query_params.get("q", ""))
        return JSONResponse([r.__dict__ for r in rows])

    def step(request: Request) -> Response:
        wf_id, nid = request.path_params["wf_id"], request.path_params["node_id"]
        rec = runs.step(wf_id, nid)
        size = _size(rec.log_path)
        return HTMLResponse(step_page(wf_id, rec, tail(rec.log_path, lines=200, max_bytes=65536), size))

    def log(request: Request) -> Response:
        rec = runs.step(request.path_params["wf_id"], request.path_params["node_id"])
        offset = request.query_params.get("offset")
        running = "1" if rec.phase in ("Pending", "Running") else "0"
        if offset is None:
            if not rec.log_path or not Path(rec.log_path).exists():
                return PlainTextResponse("(no output yet)")
            return FileResponse(rec.log_path, media_type="text/plain; charset=utf-8")
        data, size = _read_from(rec.log_path, int(offset))
        return PlainTextResponse(data, headers={"X-Log-Size": str(size), "X-Step-Running": running})

    def children(request: Request) -> Response:
        wf_id, nid = request.path_params["wf_id"], request.path_params["node_id"]
        page_no = max(0, int(request.query_params.get("page", "0") or 0))
        phase = request.query_params.get("phase", "")
        rows, total = runs.children(wf_id, nid, page_no, phase)
        return HTMLResponse(children_page(wf_id, runs.step(wf_id, nid), rows, total, page_no, phase))

    def artifact(request: Request) -> Response:
        wf_id, nid, name = (request.path_params[k] for k in ("wf_id", "node_id", "name"))
        rec = runs.step(wf_id, nid)
        if name not in rec.outputs.artifacts:
            known = ", ".join(rec.outputs.artifacts) or "none"
            return PlainTextResponse(f"step {rec.name!r} has no output artifact {name!r} (it has: {known})", 404)
        return artifact_download(name, lambda out: download_artifact(rec.outputs.artifacts[name], path=out))

    def action(request: Request) -> Response:
        wf_id, verb = request.path_params["wf_id"], request.path_params["verb"]
        try:
            message = _act(runs, wf_id, verb)
        except (KeyError, RuntimeError, NotImplementedError, OSError) as exc:
            message = f"{verb} failed: {exc}"
        return RedirectResponse(f"/runs/{quote(wf_id)}?msg={quote(message)}", status_code=303)

    def missing(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(f"404: {exc}", 404)

    def argo_failed(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status", 0)
        return PlainTextResponse(f"{status or 502}: {exc}", 404 if status == 404 else 502)

    routes = [
        Route("/", index),
        Route("/api/runs", runs_json),
        Route("/api/runs/{wf_id}/view", run_json),
        Route("/runs/{wf_id}", run),
        Route("/runs/{wf_id}/{verb:str}", action, methods=["POST"]),
        Route("/runs/{wf_id}/steps/{node_id}", step),
        Route("/runs/{wf_id}/steps/{node_id}/log", log),
        Route("/runs/{wf_id}/steps/{node_id}/artifacts/{name}", artifact),
        Route("/runs/{wf_id}/children/{node_id}", children),
        *(_argo_routes(argo) if argo is not None else []),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=check)],
        exception_handlers={KeyError: missing, ArgoError: argo_failed},
    )


def _argo_routes(argo: ArgoRuns) -> list[Route]:
    """The pages of Argo runs (``/argo/runs/...``): the same pages, from the Argo Server's answers."""

    def run(request: Request) -> Response:
        wf_id = request.path_params["wf_id"]
        workflow = argo.workflow(wf_id)
        plan, summary = argo.view(wf_id, workflow)
        verbs, why = argo.actions(workflow)  # an archived run: Argo's actions for it
        return HTMLResponse(run_page(wf_id, plan, summary, request.query_params.get("msg", ""), ARGO, verbs, why))

    def run_json(request: Request) -> Response:
        wf_id = request.path_params["wf_id"]
        plan, summary = argo.view(wf_id)
        return JSONResponse(
            {
                "phase": summary.phase, "running": summary.running, "done": summary.done, "total": summary.total,
                "html": run_view(wf_id, plan, summary, ARGO),
            }
        )  # fmt: skip

    def step(request: Request) -> Response:
        wf_id, nid = request.path_params["wf_id"], request.path_params["node_id"]
        workflow = argo.workflow(wf_id)  # one answer of the server for the whole page
        rec = argo.step(wf_id, nid, workflow)
        text = _log_or_reason(argo, wf_id, nid, workflow)
        data = text.encode()
        return HTMLResponse(step_page(wf_id, rec, _tail_text(text), len(data), ARGO))

    def log(request: Request) -> Response:
        wf_id, nid = request.path_params["wf_id"], request.path_params["node_id"]
        workflow = argo.workflow(wf_id)
        rec = argo.step(wf_id, nid, workflow)
        data = _log_or_reason(argo, wf_id, nid, workflow).encode()
        offset = max(0, int(request.query_params.get("offset") or 0))
        running = "1" if rec.phase in ("Pending", "Running") else "0"
        chunk = data[offset : offset + LOG_CHUNK]
        return PlainTextResponse(
            chunk.decode("utf-8", errors="replace"),
            headers={"X-Log-Size": str(offset + len(chunk)), "X-Step-Running": running},
        )

    def children(request: Request) -> Response:
        wf_id, nid = request.path_params["wf_id"], request.path_params["node_id"]
        page_no = max(0, int(request.query_params.get("page", "0") or 0))
        phase = request.query_params.get("phase", "")
        workflow = argo.workflow(wf_id)
        rows, total = argo.children(wf_id, nid, page_no, phase, workflow)
        parent = argo.step(wf_id, nid, workflow, outputs=False)  # the header only
        return HTMLResponse(children_page(wf_id, parent, rows, total, page_no, phase, ARGO))

    def artifact(request: Request) -> Response:
        wf_id, nid, name = (request.path_params[k] for k in ("wf_id", "node_id", "name"))
        workflow = argo.workflow(wf_id)
        ref, owners = argo.artifact(wf_id, nid, name, workflow)  # an unknown node or artifact is a 404
        uid = argo.archived_uid(workflow)  # a run read from the archive: the routes by uid
        try:
            return artifact_download(name, lambda out: place_argo_artifact(argo.client, wf_id, ref, owners, out, uid))
        except StorageError as exc:
            return PlainTextResponse(f"502: {exc}", 502)

    def action(request: Request) -> Response:
        """An action on the cluster's run; on one read from the archive, Argo's actions for it
        (``ArgoRuns.act_archived``: a retry shows the run it starts in the cluster)."""
        wf_id, verb = request.path_params["wf_id"], request.path_params["verb"]
        shown: str | None = None
        try:
            workflow = argo.workflow(wf_id)  # an unknown name is refused before any action
            if argo.archived_uid(workflow) is None:
                message = _act_on(argo.backend(), wf_id, verb)
            else:
                shown, message = argo.act_archived(workflow, verb)
        except (KeyError, ArgoError) as exc:
            message = f"{verb} failed: {exc}"
        return RedirectResponse(f"{ARGO}/{quote(shown or wf_id)}?msg={quote(message)}", status_code=303)

    return [
        Route(f"/api{ARGO}/{{wf_id}}/view", run_json),
        Route(f"{ARGO}/{{wf_id}}", run),
        Route(f"{ARGO}/{{wf_id}}/{{verb:str}}", action, methods=["POST"]),
        Route(f"{ARGO}/{{wf_id}}/steps/{{node_id}}", step),
        Route(f"{ARGO}/{{wf_id}}/steps/{{node_id}}/log", log),
        Route(f"{ARGO}/{{wf_id}}/steps/{{node_id}}/artifacts/{{name}}", artifact),
        Route(f"{ARGO}/{{wf_id}}/children/{{node_id}}", children),
    ]


def _log_or_reason(argo: ArgoRuns, wf_id: str, node_id: str, workflow: dict[str, Any]) -> str:
    """The pod's log as the server gives it; why not, when it does not (e.g. the pod is gone)."""
    try:
        return argo.log(wf_id, node_id, workflow)
    except ArgoError as exc:
        return f"(the Argo Server gives no log for this step: {exc})"


def _tail_text(text: str, lines: int = 200, max_bytes: int = 65536) -> str:
    return "\n".join(text[-max_bytes:].splitlines()[-lines:])


def _act(runs: Runs, wf_id: str, verb: str) -> str:
    runs.run(wf_id)  # an unknown id (or not a plain run name) is refused before any action
    return _act_on(runs.backend, wf_id, verb)


def _act_on(backend: Any, wf_id: str, verb: str) -> str:
    if verb == "terminate":
        backend.terminate(wf_id)
        return "terminated"
    if verb == "resume":
        backend.resume(wf_id)
        return "resumed: the steps that did not succeed run again"
    if verb == "retry":
        retry = getattr(backend, "retry", None)
        if retry is None:
            return "retry of failed steps is not available for local runs in this version (use resume)"
        retry(wf_id)
        return "retrying the failed steps"
    raise KeyError(f"no action {verb!r} (terminate, resume, retry)")


def _size(path: str | None) -> int:
    try:
        return Path(path).stat().st_size if path else 0
    except OSError:
        return 0


def _read_from(path: str | None, offset: int) -> tuple[str, int]:
    """The log from byte ``offset`` on (at most a chunk), and the offset after it."""
    if not path:
        return "", 0
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, offset))
            data = fh.read(LOG_CHUNK)
    except OSError:
        return "", offset
    return data.decode("utf-8", errors="replace"), max(0, offset) + len(data)
