"""The dashboard in a real browser (Debian's Chromium): runs list, a live run, a traceback, a download."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dflow_like import Workflow
from tests.polling import poll
from tests.view.workflows import energy_workflow

from .conftest import Dashboard

GATE_BYTES = bytes(range(256)) * 40  # what the gate step writes (tests/view/ops_for_view.py)


def _by_css(driver: Any, selector: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector)


def _node_phase(driver: Any, name: str) -> str:
    """Read in one script: the page replaces its view while refreshing (no stale element)."""
    return str(
        driver.execute_script(
            "const n = document.querySelector(arguments[0]); return n ? n.getAttribute('data-phase') : null;",
            f"#view svg [data-name='{name}']",
        )
    )


def _follow(driver: Any, selector: str) -> None:
    """Click a link or button and wait until the next page has replaced this one."""
    driver.execute_script("window.__leaving = true;")
    _by_css(driver, selector).click()

    def arrived() -> bool:
        try:
            return bool(driver.execute_script("return !window.__leaving && document.readyState === 'complete';"))
        except Exception:  # between the two pages
            return False

    poll(arrived, f"the page after clicking {selector}")


def _flash(driver: Any) -> str:
    """The action's message on the page now ('' while the next page loads)."""
    script = "const n = document.querySelector('#flash'); return n ? n.textContent : '';"
    try:
        return str(driver.execute_script(script))
    except Exception:  # the page is being replaced
        return ""


def _text(driver: Any, selector: str) -> str:
    return str(driver.execute_script("return document.querySelector(arguments[0]).textContent;", selector))


def _finished(tmp_path: Path, name: str, fail: tuple[int, ...]) -> Workflow:
    release = tmp_path / f"release-{name}"
    release.write_text("go")
    wf = energy_workflow(n=4, fail=fail, release=str(release), name=name)
    wf.submit()
    wf.wait(timeout=120)
    return wf


def test_runs_list_with_phases_and_filters(dashboard: Dashboard, browser: Any, tmp_path: Path) -> None:
    ok = _finished(tmp_path, "fine", fail=())
    bad = _finished(tmp_path, "broken", fail=(0, 1, 2))  # below the success ratio: the run fails
    browser.get(dashboard.url("/"))
    rows = {r.get_attribute("data-id"): r.text for r in browser.find_elements("css selector", "tr.run")}
    assert "Succeeded" in rows[ok.id] and "Failed" in rows[bad.id]
    browser.get(dashboard.url("/?phase=Failed"))
    assert [r.get_attribute("data-id") for r in browser.find_elements("css selector", "tr.run")] == [bad.id]


def test_a_running_run_changes_in_the_open_page(dashboard: Dashboard, browser: Any, tmp_path: Path) -> None:
    release = tmp_path / "release"
    wf = energy_workflow(n=6, fail=(4,), release=str(release))
    wf.submit()
    poll(lambda: wf.query_step(name="gate") != [] and wf.query_step(name="gate")[0].phase == "Running", "gate")
    browser.get(dashboard.url(f"/runs/{wf.id}"))
    assert _node_phase(browser, "gate") == "Running" and _node_phase(browser, "energy") == "Pending"
    assert "0/9 steps done" in _text(browser, "#view")
    release.write_text("go")  # the page is not reloaded: it refreshes itself
    poll(lambda: _text(browser, "#view .dflow-phase") == "Succeeded", "the page to show the end")
    assert _node_phase(browser, "energy") == "Succeeded" and "9/9 steps done" in _text(browser, "#view")
    assert "5 ✓ 1 ✗" in _text(browser, "#view svg")


def test_a_failed_step_shows_its_traceback(dashboard: Dashboard, browser: Any, tmp_path: Path) -> None:
    wf = _finished(tmp_path, "eos", fail=(2,))
    browser.get(dashboard.url(f"/runs/{wf.id}"))
    _follow(browser, "a.failed-step")
    assert _by_css(browser, "#step-name").text == "energy(2:2)"
    assert "ValueError: energy diverged for item 2" in _by_css(browser, "#message").text
    log = _by_css(browser, "#log").text
    assert "Traceback (most recent call last)" in log and "ops_for_view.py" in log


def test_an_artifact_downloads_with_its_bytes(dashboard: Dashboard, browser: Any, tmp_path: Path) -> None:
    wf = _finished(tmp_path, "eos", fail=())
    gate = wf.query_step(name="gate")[0]
    browser.get(dashboard.url(f"/runs/{wf.id}/steps/{gate.id}"))
    _by_css(browser, "a.artifact").click()
    target = browser.downloads / "data.bin"
    poll(lambda: target.exists() and target.stat().st_size == len(GATE_BYTES), "the download")
    assert target.read_bytes() == GATE_BYTES


def test_nothing_is_shown_without_the_token(dashboard: Dashboard, browser: Any, tmp_path: Path) -> None:
    wf = _finished(tmp_path, "eos", fail=())
    for path in ("/", f"/runs/{wf.id}", f"/api/runs/{wf.id}/view"):
        browser.get(dashboard.base + path)
        assert "needs its token" in browser.page_source and wf.id not in browser.page_source


def test_terminate_and_retry_from_the_run_page(dashboard: Dashboard, browser: Any, tmp_path: Path) -> None:
    wf = energy_workflow(n=2, fail=(), release=str(tmp_path / "never"))  # the gate holds until terminated
    wf.submit()
    browser.get(dashboard.url(f"/runs/{wf.id}"))
    poll(lambda: _node_phase(browser, "gate") == "Running", "the page to show the gate running")
    _follow(browser, "#terminate")
    poll(lambda: _flash(browser) == "terminated", "the page after terminate")
    poll(lambda: wf.query_status() == "Failed", "the run to stop")
    _follow(browser, "#retry")
    poll(lambda: "retry" in _flash(browser), "the page after retry")  # retried, or a clear word that it cannot
    wf.terminate()  # the retried gate would hold forever: no engine outlives the test
    poll(lambda: wf.query_status() == "Failed", "the retried run to stop")


def test_a_running_step_log_is_followed_in_the_page(dashboard: Dashboard, browser: Any, tmp_path: Path) -> None:
    release = tmp_path / "release"
    wf = energy_workflow(n=1, fail=(), release=str(release))
    wf.submit()
    poll(lambda: bool(wf.query_step(name="gate")) and wf.query_step(name="gate")[0].phase == "Running", "gate")
    gate = wf.query_step(name="gate")[0]
    browser.get(dashboard.url(f"/runs/{wf.id}/steps/{gate.id}"))
    poll(lambda: "waiting for the release file" in _by_css(browser, "#log").text, "the log's start")
    release.write_text("go")  # the page is not reloaded: the log grows in it
    poll(lambda: "released" in _by_css(browser, "#log").text.replace("release file", ""), "the log's end")


def test_a_fan_out_lists_its_items_by_page_and_phase(dashboard: Dashboard, browser: Any, tmp_path: Path) -> None:
    release = tmp_path / "release"
    release.write_text("go")
    wf = energy_workflow(n=130, fail=(5, 120), release=str(release))
    wf.submit()
    assert wf.wait(timeout=300) == "Succeeded"
    browser.get(dashboard.url(f"/runs/{wf.id}"))
    _follow(browser, "tr.step[data-name='energy'] a")
    assert len(browser.find_elements("css selector", "tr.item")) == 100 and "page 1 of 2" in browser.page_source
    _follow(browser, "a[href$='phase=Failed']")
    names = [r.text.split()[0] for r in browser.find_elements("css selector", "tr.item")]
    assert names == ["energy(5:5)", "energy(120:120)"]
