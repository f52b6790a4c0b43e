"""``dflow-like run FILE`` reads as ``python FILE`` would: the script's error from the script's
frame, and a run that tolerated failures says so."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dflow_like.cli.main import main


def test_a_script_that_raises_shows_its_traceback_from_the_script_not_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "driver.py"
    script.write_text("x = 1\nraise ValueError('bad driver')\n")
    assert main(["run", str(script)]) == 1
    err = capsys.readouterr().err
    assert f'File "{script}", line 2, in <module>' in err and "ValueError: bad driver" in err
    assert "runpy" not in err and "cli/main.py" not in err  # not the machinery's frames first


def test_a_run_that_tolerated_a_failed_item_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "driver.py"
    script.write_text(
        textwrap.dedent("""
            from dflow_like import Step, Workflow
            from dflow_like.python import PythonOPTemplate, Slices
            from tests.view.ops_for_view import Energy

            wf = Workflow("tolerant")
            template = PythonOPTemplate(Energy, slices=Slices(input_parameter=["x"], output_parameter=["energy"]))
            wf.add(Step("energy", template, parameters={"x": [0, 1, 2], "fail": [1]}, continue_on_num_success=2))
            wf.submit()
        """)
    )
    assert main(["run", str(script)]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.endswith(": Succeeded (1 failed step(s) tolerated)")
