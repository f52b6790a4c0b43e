"""Durations on the dashboard after ``retry(step=...)``: a retried run lasts from its first start.

A retry ran a new engine that restarted the run's clock (``started``) but left its old
``finished`` in place while it ran: the run list showed a negative duration and the run
page "0.0 s"; once done, both showed only the retry (about "0.0 s" after re-running one
quick step), and so did a container around the retried step, beside a kept child of
seconds. A run, and a container, now last from their first start to their latest end
(``engine_loop._first_start``, ``Scheduler._first_start``).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

from dflow_like import Step, Steps, Workflow
from dflow_like.python import PythonOPTemplate
from tests.cli.ops_retry import Marked
from tests.polling import poll

from .serving import Served, serve_app

pytest.importorskip("uvicorn")

TIMEOUT = 120
KEPT_SECONDS = 1.0  # the kept step's work: the retry of a quick step takes far less


def _seconds(text: str) -> float:
    """A duration as the dashboard writes it: "12.3 s", "2.5 min", "3:05 min", "1:02:03"."""
    if text.endswith(" min") and ":" not in text:
        return 60 * float(text[:-4])
    if text.endswith(" s"):
        return float(text[:-2])
    parts = [int(p) for p in text.removesuffix(" min").split(":")]
    return float(parts[-2] * 60 + parts[-1] + (parts[0] * 3600 if len(parts) == 3 else 0))


def _cells(page: str, row: str) -> list[str]:
    found = re.search(rf"<tr class={row}>(.*?)</tr>", page)
    assert found is not None, f"no row {row} in the page"
    return [re.sub("<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", found.group(1))]


def _listed(served: Served, wf_id: str) -> float:
    """The run's duration on the run list (its fifth column)."""
    status, page = served.get("/")
    assert status == 200
    return _seconds(_cells(page, f"'run' data-id='{wf_id}'[^>]*")[4])


def _run_page(served: Served, wf_id: str) -> tuple[float, dict[str, float]]:
    """The run page's duration (its header) and each step's (the step table's fourth column)."""
    status, page = served.get(f"/runs/{wf_id}")
    assert status == 200
    header = re.search(r"class='dflow-phase'[^>]*>\w+</span> · ([^<]+?) ?(?:<i>|<br>)", page)
    assert header is not None, "no duration in the run page's header"
    steps = {name: _seconds(_cells(page, f"'step' data-name='{name}'[^>]*")[3]) for name in ("inner", "slow", "flaky")}
    return _seconds(header.group(1)), steps


def test_a_retried_run_lasts_from_its_first_start(tmp_path: Path) -> None:
    from dflow_like.ui.app import create_app

    marker, opened = tmp_path / "marker", tmp_path / "gate"
    inner = Steps("inner")
    inner.add([
        Step("slow", PythonOPTemplate(Marked), parameters={"seconds": KEPT_SECONDS}),
        Step("flaky", PythonOPTemplate(Marked), parameters={"marker": str(marker), "gate": str(opened)}),
    ])  # fmt: skip
    wf = Workflow("durations")
    wf.add(Step("inner", inner))
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Failed"  # flaky fails; slow took KEPT_SECONDS and is kept
    wf_id = str(wf.id)
    marker.touch()

    token = secrets.token_urlsafe(16)
    for base in serve_app(create_app(token, argo=None)):
        served = Served(base, token)
        wf.retry("flaky")
        poll(lambda: wf.query_step(name="flaky")[0].phase == "Running", "flaky to run again")
        listed = _listed(served, wf_id)  # while the retry runs, at its gate
        header, steps = _run_page(served, wf_id)
        assert listed >= steps["slow"] - 0.1, f"the run list says {listed} s while the retry runs"
        assert header >= steps["slow"] - 0.1, f"the run page says {header} s while the retry runs"

        opened.touch()
        assert wf.wait(timeout=TIMEOUT) == "Succeeded"
        listed = _listed(served, wf_id)
        header, steps = _run_page(served, wf_id)
        both = steps["slow"] + steps["flaky"]  # one ran before the retry, the other in it
        assert listed >= both - 0.15 and header >= both - 0.15, (listed, header, steps)
        assert steps["inner"] >= both - 0.15, f"the container around flaky: {steps}"
