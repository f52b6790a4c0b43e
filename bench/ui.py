"""What the views cost: a notebook refresh at 10 vs N items, the dashboard's pages for an N-step run.

The dashboard's times are whole HTTP responses (uvicorn on 127.0.0.1): the run page, the
JSON its script polls while the run is running, the first page of the fan-out's items and
one item's page.

Run: python bench/ui.py [N] [--argo]   (N defaults to 10000; the runs are real local runs of a trivial
OP; ``--argo`` times only the pages of an N-item Argo run, served by the Argo Server's protocol double)
"""

from __future__ import annotations

import secrets
import socket
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

from _common import fresh_home, square

from dflow_like import Step, Workflow
from dflow_like._notebook import workflow_html
from dflow_like.python import PythonOPTemplate
from dflow_like.view.plan import node_id


def fan_out(n: int) -> Workflow:
    """first, then square over n items, then last: a fan-out between two steps."""
    wf = Workflow(f"fan{n}")
    template = PythonOPTemplate(square)
    wf.add(Step("first", template, parameters={"x": 1}))
    wf.add(Step("square", template, parameters={"x": "{{item}}"}, with_param=list(range(n))))
    wf.add(Step("last", template, parameters={"x": 2}))
    return wf


def median_ms(action: object, repeat: int = 15) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def serve(token: str, app: object = None) -> str:
    import uvicorn

    from dflow_like.ui.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app or create_app(token), log_level="warning"))  # type: ignore[arg-type]
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--argo"]
    n = int(args[0]) if args else 10000
    if "--argo" in sys.argv[1:]:
        argo_pages(n)
        return
    fresh_home()
    runs = {}
    for size in (10, n):
        wf = fan_out(size)
        t0 = time.perf_counter()
        wf.submit()
        phase = wf.wait(timeout=1800)
        print(f"run of {size + 2} steps: {phase} in {time.perf_counter() - t0:.1f} s")
        runs[size] = wf
    for size, wf in runs.items():
        again = Workflow(id=wf.id)  # as another process sees it: the plan saved at submit
        ms = median_ms(lambda again=again: workflow_html(again))
        print(f"notebook refresh (wf._repr_html_) at {size:>6} items: median {ms:.1f} ms")
    token = secrets.token_urlsafe(16)
    base = serve(token)
    for size, wf in runs.items():
        group = node_id(str(wf.id), "/square")  # the fan-out's node: its items' page
        item = Workflow(id=wf.id).query_step(name="square", type="Pod")[0].id
        pages = {
            "run page": f"/runs/{wf.id}",
            "run view (refresh)": f"/api/runs/{wf.id}/view",
            "items page": f"/runs/{wf.id}/children/{group}",
            "step page": f"/runs/{wf.id}/steps/{item}",
        }
        for what, path in pages.items():
            ms = median_ms(lambda url=f"{base}{path}?token={token}": load(url))
            target = " (target < 1000 ms)" if what == "run page" else ""
            print(f"dashboard {what:<18} {size + 2:>6}-step run: median {ms:.1f} ms{target}")
    ms = median_ms(lambda: load(f"{base}/?token={token}"))
    print(f"dashboard runs list ({len(runs)} runs): median {ms:.1f} ms")
    argo_pages(n)
    for counters in (True, False):
        cost = statistics.median(store_writes(n, counters) for _ in range(5))
        kept = "kept" if counters else "dropped"
        print(f"state writes of {n} steps x 3 phases, counters {kept}: {cost:.0f} us CPU/step")


def store_writes(n: int, counters: bool) -> float:
    """CPU microseconds per step (SQLite runs in this process; CPU time is steadier than wall
    time on a shared machine) for the engine's state writes (insert Pending, then Running, then
    Succeeded), with the view counters' triggers and index or without: what keeping them costs."""
    import tempfile
    from pathlib import Path

    from dflow_like.engine.local.state_store import StateStore
    from dflow_like.records import StepRecord

    with tempfile.TemporaryDirectory() as tmp:
        store = StateStore(Path(tmp) / "state.db")
        if not counters:
            for trigger in ("nodes_count_insert", "nodes_count_update", "nodes_count_delete"):
                store.db.execute(f"DROP TRIGGER {trigger}")
            store.db.execute("DROP INDEX nodes_failed")
        records = [StepRecord(id=f"n{i}", name=f"square({i})", workflow_id="w", parent_id="g", type="Pod")
                   for i in range(n)]  # fmt: skip
        t0 = time.process_time()
        for phase in ("Pending", "Running", "Succeeded"):
            for start in range(0, n, 500):  # the engine commits a batch every COMMIT_INTERVAL
                for rec in records[start : start + 500]:
                    rec.phase = phase
                    store.save_node(rec)
                store.commit()
        elapsed = time.process_time() - t0
        store.close()
    return 1e6 * elapsed / n


def argo_nodes(wf: str, n: int) -> dict[str, dict[str, object]]:
    """``status.nodes`` of an Argo run: ``first``, then ``square`` over n items (as Argo links them)."""
    t = "2024-05-01T12:00:00Z"

    def node(i: str, name: str, display: str, kind: str, children: list[str]) -> dict[str, object]:
        return {"id": i, "name": name, "displayName": display, "type": kind, "phase": "Succeeded",
                "boundaryID": wf, "templateName": "square", "startedAt": t, "finishedAt": t,
                "children": children}  # fmt: skip

    items = [f"{wf}-i{k}" for k in range(n)]
    nodes = {wf: {**node(wf, wf, wf, "Steps", [f"{wf}-g0"]), "boundaryID": None}}
    nodes[f"{wf}-g0"] = node(f"{wf}-g0", f"{wf}[0]", "[0]", "StepGroup", [f"{wf}-first"])
    nodes[f"{wf}-first"] = node(f"{wf}-first", f"{wf}[0].first", "first", "Pod", [f"{wf}-g1"])
    nodes[f"{wf}-g1"] = node(f"{wf}-g1", f"{wf}[1]", "[1]", "StepGroup", items)
    for k, i in enumerate(items):
        nodes[i] = node(i, f"{wf}[1].square({k}:{k})", f"square({k}:{k})", "Pod", [])
    return nodes


def argo_pages(n: int) -> None:
    """The dashboard's pages of an n-item Argo run, served by the Argo Server's protocol double."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository: tests/ holds the double
    from dflow_like.engine.argo.client import ArgoClient
    from dflow_like.ui.app import create_app
    from dflow_like.ui.argo import ArgoRuns
    from tests.engine.argo.argo_double import running_double

    token = secrets.token_urlsafe(16)
    with running_double() as double:
        wf = f"fan{n}-argo1"
        double.create("argo", {"workflow": {"metadata": {"name": wf}, "spec": {"entrypoint": "main"}}})
        double.advance(wf, phase="Succeeded", nodes=argo_nodes(wf, n), startedAt="2024-05-01T12:00:00Z")
        base = serve(token, create_app(token, argo=ArgoRuns(ArgoClient(double.url, double.token))))
        pages = {
            "run page": f"/argo/runs/{wf}",
            "items page": f"/argo/runs/{wf}/children/{wf}-g1:square",
            "step page": f"/argo/runs/{wf}/steps/{wf}-i0",
            "fan-out page": f"/argo/runs/{wf}/steps/{wf}-g1:square",  # its gathered outputs: every item read
        }
        for what, path in pages.items():
            ms = median_ms(lambda url=f"{base}{path}?token={token}": load(url), repeat=5)
            print(f"dashboard Argo {what:<12} {n + 1:>6}-step run: median {ms:.1f} ms (the server's JSON included)")


def load(url: str) -> None:
    """One HTTP GET, the whole body read (what a browser waits for before drawing)."""
    with urllib.request.urlopen(url) as response:
        response.read()


if __name__ == "__main__":
    main()
