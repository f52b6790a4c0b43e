"""Argo runs in the dashboard, through the Argo Server's REST API (the protocol double serves it).

The runs list holds the server's workflows beside the local runs (phase, start, duration),
asking only for the fields it shows; a run page draws the graph coloured by phase, the step
table and the failures; a step page shows its pod's log as the server streams it; the
actions call the server. Runs the server keeps in its workflow archive are listed too, once
each and marked archived, and their pages read the archive once the cluster has deleted them.
The dashboard is served by uvicorn as ``dflow-like ui`` serves it.
"""

from __future__ import annotations

import io
import re
import secrets
import socket
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dflow_like.engine.argo.client import ArgoClient
from dflow_like.ui.argo import ArgoRuns, _fnv1a_32, pod_name
from tests.engine.argo.argo_double import ArgoDouble, running_double
from tests.view.workflows import energy_workflow

from .argo_runs import TIMES, WF, argo_run, nodes
from .serving import Served, serve_app

pytest.importorskip("uvicorn")


@pytest.fixture
def double(request: pytest.FixtureRequest) -> Iterator[ArgoDouble]:
    """The Argo Server; parametrized ``indirect`` with True, Argo >= 3.6's unified list (``unified``)."""
    with running_double(unified=getattr(request, "param", False)) as server:
        yield server


@pytest.fixture
def served(double: ArgoDouble, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """The dashboard with the Argo Server configured as a user does (``DFLOW_LIKE_HOST``, token)."""
    from dflow_like.ui.app import create_app

    monkeypatch.setenv("DFLOW_LIKE_HOST", double.url)
    monkeypatch.setenv("DFLOW_LIKE_TOKEN", str(double.token))
    monkeypatch.setenv("DFLOW_LIKE_NAMESPACE", "argo")
    token = secrets.token_urlsafe(16)
    for base in serve_app(create_app(token)):
        yield Served(base, token)


def _rows(page: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r"<tr class='run' data-id='([^']+)'.*?</tr>", page)}


def test_the_runs_list_holds_argo_runs_with_phase_start_and_duration(served: Served, double: ArgoDouble) -> None:
    argo_run(double)
    status, page = served.get("/")
    assert status == 200
    row = _rows(page)[WF]
    assert "data-engine='argo'" in row and f"href='/argo/runs/{WF}'" in row
    assert ">Failed<" in row and "2024-05-01" in row and "90.0 s" in row  # 12:00:00 to 12:01:30
    listed = [p for m, p in double.requests if m == "GET" and p.startswith("/api/v1/workflows/argo?")]
    assert listed and "fields=" in listed[-1]  # not every node of every run
    status, failed_only = served.get("/?phase=Succeeded")
    assert WF not in _rows(failed_only)


def test_the_list_asks_only_for_the_fields_it_shows(double: ArgoDouble) -> None:
    argo_run(double)
    rows = ArgoRuns(ArgoClient(double.url, double.token)).client.list(fields="items.metadata.name,items.status.phase")
    assert rows == [{"metadata": {"name": WF}, "status": {"phase": "Failed"}}]


def test_a_run_page_draws_the_graph_by_phase_with_the_step_table_and_failures(
    served: Served, double: ArgoDouble
) -> None:
    argo_run(double)
    status, page = served.get(f"/argo/runs/{WF}")
    assert status == 200
    graph = page[page.index("<svg") : page.index("</svg>")]
    phases = dict(re.findall(r"data-name='([^']+)' data-phase='([^']+)'", graph))
    assert phases == {WF: "Failed", "prep": "Succeeded", "run": "Failed"}  # the loop drawn as one node
    assert "\u00d72" in graph  # "run" times 2, with its items counts
    items_url = f"/argo/runs/{WF}/children/{urllib.parse.quote(WF + '-3:run')}"
    assert f"href='{items_url}'" in graph
    status, items = served.get(items_url)
    assert status == 200 and "run(0:a)" in items and "run(1:b)" in items and "2 all" in items
    steps = page.split("<table id='steps'>")[1]
    assert re.findall(r"<tr class='step' data-name='([^']+)'", steps) == ["prep", "run"]  # the run is no row
    assert "run(0:a)" in page
    assert "1 failed" in page and "Error (exit code 1)" in page
    assert f"href='/argo/runs/{WF}/steps/{WF}-4'" in page  # the failed step links to its page
    status, view = served.get(f"/api/argo/runs/{WF}/view")
    assert status == 200 and '"phase": "Failed"' in view.replace('":"', '": "')


def test_a_step_page_shows_its_pod_log_from_the_server(served: Served, double: ArgoDouble) -> None:
    argo_run(double)
    workflow = ArgoClient(double.url, double.token).get(WF)
    pod = pod_name(workflow, workflow["status"]["nodes"][f"{WF}-4"])
    assert pod.startswith(f"{WF}-run-")
    double.set_logs(WF, [(pod, "Traceback: energy diverged"), ("some-other-pod", "not this step's line")])
    status, page = served.get(f"/argo/runs/{WF}/steps/{WF}-4")
    assert status == 200
    assert "Traceback: energy diverged" in page and "not this step" not in page
    assert "Error (exit code 1)" in page
    assert any("podName=" + urllib.parse.quote(pod) in p for _, p in double.requests)
    status, prep = served.get(f"/argo/runs/{WF}/steps/{WF}-2")
    assert status == 200 and "output parameters" in prep
    assert f"class='artifact' download href='/argo/runs/{WF}/steps/{WF}-2/artifacts/data'>data<" in prep
    status, _ = served.get(f"/argo/runs/{WF}/steps/no-such-node")
    assert status == 404


def test_actions_reach_the_server(served: Served, double: ArgoDouble) -> None:
    argo_run(double, phase="Running")
    page = served.post(f"/argo/runs/{WF}/terminate")
    assert "terminated" in page
    assert double.workflows[("argo", WF)]["spec"]["shutdown"] == "Terminate"


def test_an_unreachable_argo_server_leaves_the_local_runs_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dflow_like.ui.app import create_app

    (tmp_path / "go").write_text("go")
    wf = energy_workflow(n=1, fail=(), release=str(tmp_path / "go"))
    wf.submit()
    wf.wait(timeout=120)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    token = secrets.token_urlsafe(16)
    app = create_app(token, argo=ArgoRuns(ArgoClient(dead, "v2:x")))
    for base in serve_app(app):
        status, page = Served(base, token).get("/")
        assert status == 200 and str(wf.id) in _rows(page)
        assert "Argo runs not shown" in page and dead in page


def test_pod_names_follow_argo() -> None:
    """``GeneratePodName`` (workflow/util/pod_name.go): FNV-1a 32 of the node's name, or its id (v1)."""
    assert _fnv1a_32("") == 0x811C9DC5 and _fnv1a_32("a") == 0xE40C292C  # FNV's published test vectors
    assert _fnv1a_32("foobar") == 0xBF9CF968
    workflow = {"metadata": {"name": "wf"}}
    node = {"id": "wf-123", "name": "wf[0].a", "templateName": "t"}
    assert pod_name(workflow, node) == f"wf-t-{_fnv1a_32('wf[0].a')}"
    assert pod_name(workflow, {"id": "wf", "name": "wf"}) == "wf"
    v1 = {"metadata": {"name": "wf", "annotations": {"workflows.argoproj.io/pod-name-format": "v1"}}}
    assert pod_name(v1, node) == "wf-123"
    long = {"metadata": {"name": "w" * 300}}
    assert len(pod_name(long, node)) <= 253


@pytest.fixture
def argo_env(double: ArgoDouble, monkeypatch: pytest.MonkeyPatch) -> ArgoDouble:
    """The Argo Server configured for the ``dflow-like ui`` the ``dashboard`` fixture starts."""
    monkeypatch.setenv("DFLOW_LIKE_HOST", double.url)
    monkeypatch.setenv("DFLOW_LIKE_TOKEN", str(double.token))
    return double


def test_an_argo_run_in_the_browser_changes_and_shows_a_failed_pods_log(
    argo_env: ArgoDouble, dashboard: Any, browser: Any
) -> None:
    """``dflow-like ui`` with an Argo Server configured, in Debian's Chromium: the run is listed,
    its open page follows the server until the run fails, and the failed step shows its log."""
    from selenium.webdriver.common.by import By

    from tests.polling import poll

    from .argo_runs import nodes

    double = argo_env
    argo_run(double, phase="Running")
    browser.get(dashboard.url("/"))
    row = browser.find_element(By.CSS_SELECTOR, f"tr.run[data-id='{WF}']")
    assert row.get_attribute("data-engine") == "argo" and "Running" in row.text
    row.find_element(By.CSS_SELECTOR, "a").click()
    script = "const n = document.querySelector(arguments[0]); return n ? n.getAttribute('data-phase') : null;"
    poll(lambda: browser.execute_script(script, "#view svg [data-name='run']") == "Running", "the loop running")
    double.advance(WF, phase="Failed", nodes=nodes("Failed"), finishedAt="2024-05-01T12:01:30Z")
    workflow = ArgoClient(double.url, double.token).get(WF)
    double.set_logs(WF, [(pod_name(workflow, workflow["status"]["nodes"][f"{WF}-4"]), "Traceback: it diverged")])
    poll(lambda: browser.execute_script(script, "#view svg [data-name='run']") == "Failed", "the page to follow")
    browser.find_element(By.CSS_SELECTOR, "a.failed-step").click()
    poll(lambda: "Traceback: it diverged" in browser.execute_script("return document.body.textContent"), "the log")
    assert browser.find_element(By.CSS_SELECTOR, "#step-name").text == "run(0:a)"


def test_argo_pages_need_the_token_too(served: Served, double: ArgoDouble) -> None:
    argo_run(double)
    for path in (f"/argo/runs/{WF}", f"/api/argo/runs/{WF}/view", f"/argo/runs/{WF}/steps/{WF}-4"):
        for query in ("", "?token=wrong"):
            try:
                urllib.request.urlopen(f"{served.base}{path}{query}", timeout=30)
            except urllib.error.HTTPError as exc:
                assert exc.code == 403, path
            else:
                raise AssertionError(f"{path}{query} answered without the token")
    posted = urllib.request.Request(f"{served.base}/argo/runs/{WF}/terminate", data=b"", method="POST")
    try:
        urllib.request.urlopen(posted, timeout=30)
    except urllib.error.HTTPError as exc:
        assert exc.code == 403
    assert "shutdown" not in double.workflows[("argo", WF)]["spec"]


# --- the workflow archive ---------------------------------------------------------------

OLD = "energy-old"
ARCHIVED = "data-archived='true'"
LOG_KEY = f"{WF}/{WF}-run/main.log"


def _old_run(double: ArgoDouble) -> str:
    """A run that finished, was archived and was then deleted from the cluster; its uid."""
    double.create("argo", {"workflow": {"metadata": {"name": OLD}, "spec": {"entrypoint": "main"}}})
    double.advance(OLD, phase="Succeeded", startedAt="2024-04-01T08:00:00Z", finishedAt="2024-04-01T08:00:10Z")
    return double.archive(OLD)


@pytest.mark.parametrize("double", [False, True], ids=["argo-3.4", "argo-3.6-unified"], indirect=True)
def test_archived_runs_are_listed_once_each_and_marked(served: Served, double: ArgoDouble) -> None:
    """Argo 3.4 lists only the cluster's runs (the archive is asked beside it); 3.6 lists both
    itself: either way a run both in the cluster and archived is one row, marked archived."""
    argo_run(double)
    double.archive(WF, delete=False)  # archived, still in the cluster (its TTL not yet reached)
    _old_run(double)
    double.create("argo", {"workflow": {"metadata": {"name": "fresh"}, "spec": {"entrypoint": "main"}}})
    status, page = served.get("/")
    assert status == 200
    rows = _rows(page)
    assert page.count(f"data-id='{WF}'") == 1 and {WF, OLD, "fresh"} <= set(rows)
    assert ARCHIVED in rows[WF] and ARCHIVED in rows[OLD] and ARCHIVED not in rows["fresh"]
    assert "(archived)" in rows[OLD] and f"href='/argo/runs/{OLD}'" in rows[OLD]
    assert ">Succeeded<" in rows[OLD] and "10.0 s" in rows[OLD]
    asked = [p for m, p in double.requests if m == "GET" and p.startswith("/api/v1/archived-workflows?")]
    assert asked and "listOptions.fieldSelector=metadata.namespace%3Dargo" in asked[-1]
    status, succeeded = served.get("/?phase=Succeeded")
    assert set(_rows(succeeded)) >= {OLD} and WF not in _rows(succeeded)
    status, listed = served.get("/api/runs")
    assert '"archived": true' in listed.replace('":true', '": true')


def _archived_failed_run(double: ArgoDouble) -> str:
    """``WF`` failed, its failed pod's log kept as ``main-logs`` (archiveLogs) and its ``prep``
    output a ``.tgz``, both in the (in-memory) artifact repository; archived, then deleted."""
    argo_run(double)
    kept = nodes("Failed")
    kept[f"{WF}-4"]["outputs"] = {"artifacts": [{"name": "main-logs", "s3": {"key": LOG_KEY}}]}
    double.advance(WF, nodes=kept)
    double.objects[LOG_KEY] = b"Traceback: energy diverged\n"
    tarred = io.BytesIO()
    with tarfile.open(fileobj=tarred, mode="w:gz") as tar:
        info = tarfile.TarInfo("data/numbers.txt")
        info.size = len(b"1 2 3")
        info.mtime = 1714564800  # 2024-05-01 (a zip cannot hold times before 1980)
        tar.addfile(info, io.BytesIO(b"1 2 3"))
    double.objects["k/data.tgz"] = tarred.getvalue()
    return double.archive(WF)


@pytest.mark.parametrize("double", [False, True], ids=["argo-3.4", "argo-3.6-unified"], indirect=True)
def test_an_archived_runs_pages_read_the_archive(served: Served, double: ArgoDouble) -> None:
    """Gone from the cluster, the run still has its graph, steps, the failed step's log (its
    ``main-logs`` artifact, as Argo's UI reads it) and its artifacts (the server's routes by uid)."""
    uid = _archived_failed_run(double)
    assert ("argo", WF) not in double.workflows
    status, page = served.get(f"/argo/runs/{WF}")
    assert status == 200
    graph = page[page.index("<svg") : page.index("</svg>")]
    phases = dict(re.findall(r"data-name='([^']+)' data-phase='([^']+)'", graph))
    assert phases == {WF: "Failed", "prep": "Succeeded", "run": "Failed"}
    assert "1 failed" in page and "Error (exit code 1)" in page
    status, step = served.get(f"/argo/runs/{WF}/steps/{WF}-4")
    assert status == 200 and "Traceback: energy diverged" in step
    assert ("GET", f"/artifact-files/argo/archived-workflows/{uid}/{WF}-4/outputs/main-logs") in double.requests
    status, other = served.get(f"/argo/runs/{WF}/steps/{WF}-5")  # kept no log
    assert status == 200 and "archived" in other and "main-logs" in other
    status, data = _get_bytes(served, f"/argo/runs/{WF}/steps/{WF}-2/artifacts/data")
    assert status == 200
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert {n: zf.read(n) for n in zf.namelist() if not n.endswith("/")} == {"data/numbers.txt": b"1 2 3"}
    assert ("GET", f"/artifacts-by-uid/{uid}/{WF}-2/data") in double.requests
    status, items = served.get(f"/argo/runs/{WF}/children/{urllib.parse.quote(WF + '-3:run')}")
    assert status == 200 and "run(0:a)" in items and "run(1:b)" in items


def test_a_finished_steps_kept_log_is_read_before_its_pods(served: Served, double: ArgoDouble) -> None:
    """In the cluster too, as Argo's UI does: a finished step's ``main-logs`` first (its pod may
    be gone), its pod's log when the artifact cannot be read."""
    argo_run(double)
    kept = nodes("Failed")
    kept[f"{WF}-4"]["outputs"] = {"artifacts": [{"name": "main-logs", "s3": {"key": LOG_KEY}}]}
    double.advance(WF, nodes=kept)
    double.objects[LOG_KEY] = b"Traceback: from the kept log\n"
    workflow = ArgoClient(double.url, double.token).get(WF)
    double.set_logs(WF, [(pod_name(workflow, workflow["status"]["nodes"][f"{WF}-4"]), "from the pod")])
    status, page = served.get(f"/argo/runs/{WF}/steps/{WF}-4")
    assert status == 200 and "Traceback: from the kept log" in page and "from the pod" not in page
    assert ("GET", f"/artifact-files/argo/workflows/{WF}/{WF}-4/outputs/main-logs") in double.requests
    del double.objects[LOG_KEY]
    status, page = served.get(f"/argo/runs/{WF}/steps/{WF}-4")
    assert status == 200 and "from the pod" in page


def _get_bytes(served: Served, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"{served.base}{path}?token={served.token}", timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_an_archived_run_whose_name_was_taken_again_is_listed_by_its_uid(served: Served, double: ArgoDouble) -> None:
    """The name reads the cluster's run (as Argo's ``GetWorkflow`` does); the archived one keeps a
    row of its own, addressed by uid as the archive addresses it."""
    first = _archived_failed_run(double)
    double.create("argo", {"workflow": {"metadata": {"name": WF}, "spec": {"entrypoint": "main"}}})
    double.advance(WF, phase="Running", nodes=nodes("Running"), startedAt=TIMES["startedAt"])
    rows = _rows(served.get("/")[1])
    assert ARCHIVED not in rows[WF] and ">Running<" in rows[WF]
    assert ARCHIVED in rows[first] and f"href='/argo/runs/{first}'" in rows[first] and ">Failed<" in rows[first]
    status, page = served.get(f"/argo/runs/{first}")
    assert status == 200 and "Error (exit code 1)" in page
    status, live = served.get(f"/argo/runs/{WF}")
    assert status == 200 and "Error (exit code 1)" not in live


def test_an_archive_the_token_may_not_read_leaves_the_clusters_runs_listed(served: Served, double: ArgoDouble) -> None:
    argo_run(double)
    double.archive_forbidden = True
    status, page = served.get("/")
    assert status == 200 and WF in _rows(page)
    assert "Archived Argo runs not shown" in page and "403" in page


def test_an_unknown_name_is_still_a_404_with_an_archive(served: Served, double: ArgoDouble) -> None:
    _old_run(double)
    status, _ = served.get("/argo/runs/no-such-run")
    assert status == 404
    status, _ = served.get("/argo/runs/00000000-0000-0000-0000-000000000000")
    assert status == 404


# --- actions on archived runs (Argo's UI: workflow-operations-map.ts, retry-workflow-panel.tsx) ---

BUTTON = re.compile(r"<button id='([a-z]+)'>")


def _post(served: Served, path: str) -> tuple[str, str]:
    """POST an action: where it redirects (path and flash message) without following it."""

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    request = urllib.request.Request(f"{served.base}{path}?token={served.token}", data=b"", method="POST")
    try:
        urllib.request.build_opener(Stay).open(request, timeout=30)
    except urllib.error.HTTPError as exc:
        assert exc.code == 303, exc.code
        where = urllib.parse.urlsplit(exc.headers["Location"])
        return where.path, urllib.parse.parse_qs(where.query)["msg"][0]
    raise AssertionError(f"POST {path} did not redirect")


def _live_actions(double: ArgoDouble) -> list[tuple[str, str]]:
    return [(m, p) for m, p in double.requests if m == "PUT" and p.startswith("/api/v1/workflows/")]


@pytest.mark.parametrize("double", [False, True], ids=["argo-3.4", "argo-3.6-unified"], indirect=True)
def test_an_archived_failed_run_is_retried_from_the_archive_and_the_page_follows_the_new_run(
    served: Served, double: ArgoDouble
) -> None:
    """A failed run gone from the cluster offers only retry, as Argo's UI; retry goes through the
    archive (``RetryArchivedWorkflow``), which starts the run again in the cluster under its name,
    and the dashboard then shows that run, the archived one listed beside it by uid."""
    uid = _archived_failed_run(double)
    status, page = served.get(f"/argo/runs/{WF}")
    assert status == 200 and BUTTON.findall(page) == ["retry"]
    assert "archived (Failed)" in page and "terminate and resume are not offered" in page
    where, message = _post(served, f"/argo/runs/{WF}/retry")
    assert where == f"/argo/runs/{WF}" and "runs again in the cluster" in message
    assert ("PUT", f"/api/v1/archived-workflows/{uid}/retry") in double.requests and not _live_actions(double)
    live = double.workflows[("argo", WF)]
    assert live["metadata"]["uid"] != uid and f"{WF}-4" not in live["status"]["nodes"]  # the failed item again
    status, page = served.get(f"{where}?msg={urllib.parse.quote(message)}")
    assert status == 200 and BUTTON.findall(page) == ["terminate", "resume", "retry"]  # the cluster's run
    assert "runs again in the cluster" in page and "actions-note" not in page
    rows = _rows(served.get("/")[1])
    assert ARCHIVED not in rows[WF] and ARCHIVED in rows[uid] and ">Failed<" in rows[uid]


def test_terminate_and_resume_of_an_archived_run_say_why_not(served: Served, double: ArgoDouble) -> None:
    """Nothing of an archived run runs: Argo's UI offers terminate only for a Running run and
    resume only for a suspended one, so a stale page's POST is answered with why, and the
    server is not asked."""
    _archived_failed_run(double)
    for verb in ("terminate", "resume"):
        where, message = _post(served, f"/argo/runs/{WF}/{verb}")
        assert where == f"/argo/runs/{WF}"
        assert message.startswith(f"{verb} is not offered. This run is archived (Failed)") and "retry" in message
    assert not _live_actions(double) and ("argo", WF) not in double.workflows
    assert not any(m == "PUT" for m, _ in double.requests)


def test_a_succeeded_archived_run_offers_no_action_and_a_retry_says_what_argo_asks(
    served: Served, double: ArgoDouble
) -> None:
    """Argo's UI offers retry for a Failed or Error run only; asked anyway, the server says what
    it needs (``FormulateRetryWorkflow``) and the page shows it."""
    _old_run(double)
    status, page = served.get(f"/argo/runs/{OLD}")
    assert status == 200 and BUTTON.findall(page) == [] and "archived (Succeeded)" in page
    where, message = _post(served, f"/argo/runs/{OLD}/retry")
    assert where == f"/argo/runs/{OLD}" and message.startswith("retry failed:")
    assert "HTTP 400" in message and "restartSuccessful and nodeFieldSelector" in message
    assert ("argo", OLD) not in double.workflows


def test_an_archived_run_whose_name_is_in_the_cluster_again_is_not_retried_over_it(
    served: Served, double: ArgoDouble
) -> None:
    """The server refuses while a run of that name is in the cluster (409, "use argo retry {name}
    instead"); the page of the archived run, read by uid, says so."""
    first = _archived_failed_run(double)
    double.create("argo", {"workflow": {"metadata": {"name": WF}, "spec": {"entrypoint": "main"}}})
    where, message = _post(served, f"/argo/runs/{first}/retry")
    assert where == f"/argo/runs/{first}" and message.startswith("retry failed:")
    assert "409" in message and f"use argo retry {WF} instead" in message
    assert double.workflows[("argo", WF)]["status"]["phase"] == "Pending"  # the new run untouched


def test_an_archived_run_still_in_the_cluster_is_acted_on_there(served: Served, double: ArgoDouble) -> None:
    """Archived but not yet deleted (its TTL not reached), the run is the cluster's: the usual
    buttons and endpoints, as Argo's UI retries through the archive only a run not in the cluster."""
    argo_run(double)
    double.archive(WF, delete=False)
    status, page = served.get(f"/argo/runs/{WF}")
    assert status == 200
    assert BUTTON.findall(page) == ["terminate", "resume", "retry"] and "actions-note" not in page
    where, message = _post(served, f"/argo/runs/{WF}/retry")
    assert where == f"/argo/runs/{WF}" and message == "retrying the failed steps"
    assert _live_actions(double) == [("PUT", f"/api/v1/workflows/argo/{WF}/retry")]
    assert not any(p.endswith("/retry") and "archived" in p for _, p in double.requests)
