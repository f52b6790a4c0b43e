"""The dashboard's HTML: server-rendered pages, a few lines of script to refresh a running run."""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from urllib.parse import quote

from ..records import StepRecord
from ..view.html import failures_html, header_html
from ..view.plan import PlanNode, node_id
from ..view.summary import RunSummary
from ..view.svg import item_counts, phase_color, render_svg
from .store import PAGE, RunRow, StepRow

__all__ = ["ARGO", "LOCAL", "children_page", "page", "run_page", "run_view", "runs_page", "step_page"]

LOCAL, ARGO = "/runs", "/argo/runs"  # where a local run's pages are, and an Argo run's

PHASES = ("Pending", "Running", "Succeeded", "Failed", "Error")
_STYLE = """
body{font-family:sans-serif;margin:1.2em;color:#222}a{color:#1565c0;text-decoration:none}
table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
pre{background:#f7f7f7;padding:.6em;overflow:auto;max-height:32em}.flash{background:#fff8e1;padding:.5em}
nav{margin-bottom:1em}form.inline{display:inline}
"""


def page(title: str, body: str, script: str = "") -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><nav><a href='/'>runs</a></nav>{body}"
        f"{'<script>' + script + '</script>' if script else ''}</body></html>"
    )


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else ""


def _duration(start: float | None, end: float | None) -> str:
    if start is None:
        return ""
    seconds = (end if end is not None else time.time()) - start
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _phase(phase: str) -> str:
    return f"<span class='phase' style='color:{phase_color(phase)[0]}'>{html.escape(phase)}</span>"


def _archived(r: RunRow) -> str:
    """An archived Argo run says so (its id is its uid when its name reads another run)."""
    return f" data-archived='true' title='{html.escape(r.name)}, archived'" if r.archived else ""


def runs_page(runs: list[RunRow], phase: str, text: str, notes: tuple[str, ...] = ()) -> str:
    options = "".join(
        f"<option{' selected' if p == phase else ''} value='{p}'>{p or 'any phase'}</option>" for p in ("", *PHASES)
    )
    rows = "".join(
        f"<tr class='run' data-id='{html.escape(r.id)}' data-engine='{r.engine}'{_archived(r)}>"
        f"<td><a href='{ARGO if r.engine == 'argo' else LOCAL}/{quote(r.id)}'>{html.escape(r.id)}</a></td>"
        f"<td>{html.escape(r.engine)}{' (archived)' if r.archived else ''}</td>"
        f"<td>{_phase(r.phase)}</td><td>{_when(r.started or r.created)}</td>"
        f"<td>{_duration(r.started or r.created, r.finished)}</td><td>{html.escape(r.message)}</td></tr>"
        for r in runs
    )
    form = (
        f"<form method='get'><select name='phase'>{options}</select> "
        f"<input name='q' placeholder='id contains' value='{html.escape(text)}'> <button>filter</button></form>"
    )
    table = (
        "<table id='runs'><tr><th>run</th><th>engine</th><th>phase</th><th>started</th><th>duration</th>"
        "<th>message</th></tr>"
        f"{rows}</table>"
    )
    shown = "".join(f"<p class='flash note'>{html.escape(n)}</p>" for n in notes)
    return page("dflow-like runs", f"<h2>Runs</h2>{form}{shown}<p>{len(runs)} runs</p>{table}")


def _node_id(wf_id: str, plan: PlanNode, node: PlanNode) -> str:
    """A plan from the definition has paths (the local engine's ids derive from them); one
    drawn from records (an Argo run, a local run without ``plan.json``) has record ids."""
    return node_id(wf_id, node.path) if plan.path == "" else node.path


def _link(wf_id: str, plan: PlanNode, prefix: str) -> Callable[[PlanNode], str | None]:
    def link(node: PlanNode) -> str | None:
        kind = "children" if node.kind == "Collapsed" or node.fan_out else "steps"
        return f"{prefix}/{quote(wf_id)}/{kind}/{quote(_node_id(wf_id, plan, node))}"

    return link


def _step_table(wf_id: str, plan: PlanNode, summary: RunSummary, prefix: str) -> str:
    rows = []
    stack = [(c, 0) for c in reversed(plan.children)]  # the root is the run itself: not a row
    while stack:  # parents before children, with their depth (paths may be record ids: no "/" to count)
        node, depth = stack.pop()
        stack.extend((c, depth + 1) for c in reversed(node.children))
        state = summary.states.get(node.path)
        nid = _node_id(wf_id, plan, node)
        link = _link(wf_id, plan, prefix)(node)
        detail = item_counts(state.items) if state and state.items else (state.message if state else "")
        rows.append(
            f"<tr class='step' data-name='{html.escape(node.name)}' data-id='{nid}'>"
            f"<td style='padding-left:{10 + 16 * depth}px'><a href='{link}'>{html.escape(node.name)}</a></td>"
            f"<td>{html.escape(node.kind + (' fan-out' if node.fan_out else ''))}</td>"
            f"<td>{_phase(state.phase if state else 'Pending')}</td>"
            f"<td>{_duration(state.start, state.end) if state else ''}</td><td>{html.escape(detail[:200])}</td></tr>"
        )
    return (
        "<table id='steps'><tr><th>step</th><th>kind</th><th>phase</th><th>duration</th><th>detail</th></tr>"
        f"{''.join(rows)}</table>"
    )


def _failures(wf_id: str, summary: RunSummary, prefix: str) -> str:
    block = failures_html(summary)
    for failure in summary.failures:  # each failed step's name links to its page (traceback, log)
        name = html.escape(failure.name)
        block = block.replace(
            f"<tr><td>{name}</td>",
            f"<tr><td><a class='failed-step' href='{prefix}/{quote(wf_id)}/steps/{quote(failure.node_id)}'>"
            f"{name}</a></td>",
            1,
        )
    return block


def run_view(wf_id: str, plan: PlanNode, summary: RunSummary, prefix: str = LOCAL) -> str:
    """The refreshed part of a run page: header, graph, failures, step table."""
    now = time.time()
    graph = render_svg(plan, summary, now, _link(wf_id, plan, prefix))
    return (
        f"{header_html(summary, now)}<div style='overflow:auto;max-height:70vh'>{graph}</div>"
        f"{_failures(wf_id, summary, prefix)}<h3>Steps</h3>{_step_table(wf_id, plan, summary, prefix)}"
    )


def run_page(
    wf_id: str,
    plan: PlanNode,
    summary: RunSummary,
    flash: str = "",
    prefix: str = LOCAL,
    verbs: tuple[str, ...] = ("terminate", "resume", "retry"),
    why: str = "",
) -> str:
    """A run's page: its action buttons (``verbs``; ``why`` says why the others are not offered,
    as for an archived Argo run), the flash of the last action, the refreshed view."""
    actions = "".join(
        f"<form class='inline' method='post' action='{prefix}/{quote(wf_id)}/{verb}'>"
        f"<button id='{verb}'>{verb}</button></form> "
        for verb in verbs
    )
    if why:
        actions += f"<span class='note' id='actions-note'>{html.escape(why)}</span>"
    note = f"<p class='flash' id='flash'>{html.escape(flash)}</p>" if flash else ""
    script = (
        "const view=document.getElementById('view');"
        f"async function refresh(){{const r=await fetch('/api{prefix}/{quote(wf_id)}/view');"
        "if(!r.ok)return;const d=await r.json();view.innerHTML=d.html;view.dataset.phase=d.phase;"
        "if(d.running)setTimeout(refresh,700);}"
        f"{'setTimeout(refresh,700);' if summary.running else ''}"
    )
    body = (
        f"<h2>{html.escape(wf_id)}</h2><div>{actions}</div>{note}"
        f"<div id='view' data-phase='{html.escape(summary.phase)}'>{run_view(wf_id, plan, summary, prefix)}</div>"
    )
    return page(wf_id, body, script)


def _io(rec: StepRecord, wf_id: str, prefix: str) -> str:
    def params(io_name: str, record_io: object) -> str:
        parameters = getattr(record_io, "parameters", {})
        rows = "".join(
            f"<tr><td>{html.escape(n)}</td><td><code>{html.escape(p.raw[:2000])}</code></td></tr>"
            for n, p in parameters.items()
        )
        return f"<h3>{io_name} parameters</h3><table class='{io_name}-parameters'>{rows}</table>" if rows else ""

    arts = "".join(
        f"<li><a class='artifact' download href='{prefix}/{quote(wf_id)}/steps/{quote(rec.id)}/artifacts/"
        f"{quote(n)}'>{html.escape(n)}</a></li>"
        for n in rec.outputs.artifacts
    )
    inputs_arts = "".join(f"<li>{html.escape(n)}</li>" for n in rec.inputs.artifacts)
    return (
        params("input", rec.inputs)
        + (f"<h3>input artifacts</h3><ul>{inputs_arts}</ul>" if inputs_arts else "")
        + params("output", rec.outputs)
        + (f"<h3>output artifacts</h3><ul id='artifacts'>{arts}</ul>" if arts else "")
    )


def step_page(wf_id: str, rec: StepRecord, log_tail: str, log_size: int, prefix: str = LOCAL) -> str:
    running = rec.phase in ("Pending", "Running")
    message = f"<h3>message</h3><pre id='message'>{html.escape(rec.message)}</pre>" if rec.message else ""
    base = f"{prefix}/{quote(wf_id)}/steps/{quote(rec.id)}"
    log = (
        f"<h3>log (the end; <a href='{base}/log'>whole log</a>)</h3><pre id='log' data-offset='{log_size}'>"
        f"{html.escape(log_tail)}</pre>"
    )
    script = (
        "const log=document.getElementById('log');"
        f"async function more(){{const r=await fetch('{base}/log?offset='+log.dataset.offset);"
        "if(!r.ok)return;const t=await r.text();log.dataset.offset=r.headers.get('X-Log-Size');"
        "if(t)log.textContent+=t;if(r.headers.get('X-Step-Running')==='1')setTimeout(more,700);}"
        "setTimeout(more,700);"
        if running
        else ""
    )
    body = (
        f"<p><a href='{prefix}/{quote(wf_id)}'>{html.escape(wf_id)}</a></p>"
        f"<h2 id='step-name'>{html.escape(rec.name)}</h2><p>{_phase(rec.phase)} · {html.escape(rec.type)} · "
        f"template {html.escape(rec.template)} · {_duration(rec.start_time, rec.end_time)}"
        f"{' · attempts ' + str(rec.attempts) if rec.attempts else ''}</p>{message}{_io(rec, wf_id, prefix)}{log}"
    )
    return page(f"{rec.name} · {wf_id}", body, script)


def children_page(
    wf_id: str, parent: StepRecord, rows: list[StepRow], total: int, page_no: int, phase: str, prefix: str = LOCAL
) -> str:
    base = f"{prefix}/{quote(wf_id)}/children/{quote(parent.id)}"
    items = "".join(
        f"<tr class='item'><td><a href='{prefix}/{quote(wf_id)}/steps/{quote(r.id)}'>{html.escape(r.name)}</a></td>"
        f"<td>{_phase(r.phase)}</td><td>{_duration(r.start, r.end)}</td><td>{html.escape(r.message[:200])}</td></tr>"
        for r in rows
    )
    filters = " ".join(
        f"<a href='{base}?phase={p}'>{p or 'all'}</a>" for p in ("", "Succeeded", "Failed", "Error", "Running")
    )
    pages = (total + PAGE - 1) // PAGE
    nav = ""
    if page_no > 0:
        nav += f"<a href='{base}?page={page_no - 1}&phase={phase}'>previous</a> "
    if page_no + 1 < pages:
        nav += f"<a href='{base}?page={page_no + 1}&phase={phase}'>next</a>"
    body = (
        f"<p><a href='{prefix}/{quote(wf_id)}'>{html.escape(wf_id)}</a></p><h2>{html.escape(parent.name)}</h2>"
        f"<p>{_phase(parent.phase)} · {total} {html.escape(phase or 'all')} · page {page_no + 1} of {max(pages, 1)}</p>"
        f"<p>{filters}</p><table id='items'>{items}</table><p>{nav}</p>"
    )
    return page(f"{parent.name} · {wf_id}", body)
