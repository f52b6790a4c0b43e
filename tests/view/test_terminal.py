"""``wf.wait(progress=True)`` and ``dflow-like watch``: a live display over the whole plan."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from dflow_like.cli import main
from dflow_like.view.terminal import wait_with_progress

from .workflows import energy_workflow


def test_wait_with_progress_draws_the_plan_to_its_end(release: Path) -> None:
    wf = energy_workflow(n=8, fail=(5,), release=str(release))
    wf.submit()
    release.write_text("go")
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    assert wait_with_progress(wf, timeout=120, console=console) == "Succeeded"
    text = out.getvalue()
    assert "11/11 steps" in text and "energy \u00d78" in text and "7 ✓ 1 ✗" in text
    assert "\x1b[" in text  # redrawn in place on a terminal (cursor movement)


def test_wait_progress_true_returns_the_phase(release: Path) -> None:
    release.write_text("go")
    wf = energy_workflow(n=2, fail=(), release=str(release))
    wf.submit()
    assert wf.wait(timeout=120, progress=True) == "Succeeded"


def test_cli_watch_follows_a_run_by_id(release: Path, capsys: object) -> None:
    release.write_text("go")
    wf = energy_workflow(n=3, fail=(0, 1, 2), release=str(release))  # too many failures: the run fails
    wf.submit()
    assert main(["watch", wf.id or ""]) == 1
    captured = capsys.readouterr()  # type: ignore[attr-defined]
    assert f"{wf.id}: Failed" in captured.out
    assert "0 ✓ 3 ✗" in captured.err
