"""An executed tutorial's notebook view, rendered by Chromium: the graph and the progress are in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.requires import import_or_fail

nbformat = import_or_fail("nbformat")
nbclient = import_or_fail("nbclient")

TUTORIAL = Path(__file__).resolve().parents[2] / "tutorials" / "03-slices.ipynb"


@pytest.mark.slow
def test_the_slices_tutorial_view_renders_with_graph_and_progress(browser: Any, tmp_path: Path) -> None:
    book = nbformat.read(TUTORIAL, as_version=4)
    nbclient.NotebookClient(
        book, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    views = [
        o["data"]["text/html"]
        for cell in book.cells
        if cell.cell_type == "code"
        for o in cell.outputs
        if "text/html" in o.get("data", {}) and "dflow-run" in o["data"]["text/html"]
    ]
    assert len(views) == 1  # wf.watch(): one display, updated in place
    page = tmp_path / "view.html"
    page.write_text(f"<!doctype html><meta charset='utf-8'><body>{views[0]}</body>")
    browser.get(page.as_uri())
    nodes = {
        n.get_attribute("data-name"): n.get_attribute("data-phase")
        for n in browser.find_elements("css selector", "svg .node")
    }
    assert nodes == {"build": "Succeeded", "scale": "Succeeded", "energy": "Succeeded", "fit": "Succeeded"}
    energy = browser.find_element("css selector", "svg .node[data-name='energy']")
    assert energy.is_displayed() and "energy \u00d720" in energy.text and "20 ✓" in energy.text
    progress = browser.find_element("css selector", "progress.dflow-progress")
    assert progress.get_attribute("value") == progress.get_attribute("max") == "23"
    assert browser.find_element("css selector", ".dflow-progress-text").text.startswith("23/23 steps done")
