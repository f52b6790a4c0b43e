"""``wf.watch()`` in a real Jupyter kernel: the cell returns, the view updates in place to the end."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.requires import import_or_fail

nbformat = import_or_fail("nbformat")
nbclient = import_or_fail("nbclient")

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_watch_refreshes_in_place_without_blocking_the_kernel(tmp_path: Path, release: Path) -> None:
    book = nbformat.v4.new_notebook()
    book.cells = [
        nbformat.v4.new_code_cell(
            f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
            "from tests.view.workflows import energy_workflow\n"
            f"wf = energy_workflow(n=6, fail=(2,), release={str(release)!r})\n"
            "wf.submit();"
        ),
        nbformat.v4.new_code_cell("w = wf.watch(interval=0.1)"),
        nbformat.v4.new_code_cell("print('while', wf.query_status(), 'watch done:', w.done)"),
        nbformat.v4.new_code_cell(f"open({str(release)!r}, 'w').write('go')\nprint(wf.wait(timeout=120), w.done)"),
    ]
    client = nbclient.NotebookClient(
        book, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    watch_outputs = book.cells[1].outputs
    assert len(watch_outputs) == 1  # one display, updated in place (not a new output per refresh)
    final = watch_outputs[0]["data"]["text/html"]
    assert "Succeeded" in final and "9/9 steps done" in final and "5 ✓ 1 ✗" in final
    assert "energy diverged for item 2" in final
    text = watch_outputs[0]["data"]["text/plain"]  # a front end without HTML (nbconvert --to markdown, a console)
    assert text.endswith(": Succeeded, 9/9 steps done, 1 failed"), text  # was "<IPython.core.display.HTML object>"
    # the kernel ran the next cell while the run (held by its gate) was still going
    assert book.cells[2].outputs[0]["text"].split() in (
        ["while", "Pending", "watch", "done:", "False"],
        ["while", "Running", "watch", "done:", "False"],
    )
    # a print may reach the notebook as several stream messages: read the cell's whole stdout
    printed = "".join(out.get("text", "") for out in book.cells[3].outputs if out.get("output_type") == "stream")
    assert printed.split() == ["Succeeded", "True"]
