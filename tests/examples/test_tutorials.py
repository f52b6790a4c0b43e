"""The tutorial notebooks run top to bottom (nbclient), and their live views end green."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.requires import import_or_fail

from .conftest import TUTORIALS

nbformat = import_or_fail("nbformat")
nbclient = import_or_fail("nbclient")

NOTEBOOKS = sorted(TUTORIALS.glob("*.ipynb"))


def test_the_four_tutorials_are_there_with_outputs_cleared() -> None:
    assert [p.stem for p in NOTEBOOKS] == [
        "01-writing-an-op",
        "02-building-a-workflow",
        "03-slices",
        "04-downloading-and-plotting",
    ]
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path: Path, tmp_path: Path) -> None:
    book = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        book,
        timeout=120,
        kernel_name="python3",  # ipykernel's native spec: this interpreter (the venv)
        resources={"metadata": {"path": str(tmp_path)}},  # cwd of the kernel
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on failure

    outputs = [out for cell in book.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # wf.watch() left a view that ended green (updated in place via its display id): the graph and the
    # progress over the whole plan are in it
    views = [
        o["data"]["text/html"]
        for o in outputs
        if o.output_type in ("display_data", "update_display_data") and "text/html" in o.get("data", {})
    ]
    assert views, "no live view was displayed"
    for view in views:
        assert "Succeeded" in view and "<svg" in view and "data-phase='Succeeded'" in view
        done, total = map(int, re.search(r"(\d+)/(\d+) steps done", view).groups())  # type: ignore[union-attr]
        assert done == total > 0
    if path.stem.startswith("03"):
        assert any("energy \u00d720" in v and "20 ✓" in v for v in views)  # the fan-out drawn as one node
    if path.stem.startswith("04"):
        pngs = [o for o in outputs if "image/png" in o.get("data", {})]
        assert len(pngs) >= 2  # the downloaded plot and the one drawn in the notebook
        assert (tmp_path / "results" / "eos.png").stat().st_size > 10_000
