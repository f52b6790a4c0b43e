"""A workflow shown in a console (not a notebook) is readable text, not an HTML object's repr."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from dflow_like import Step, Workflow
from dflow_like.python import PythonOPTemplate
from tests.ops_for_tests import Fail, Hello
from tests.requires import import_or_fail

import_or_fail("IPython")  # the test extras install it: the case is IPython present, no notebook


def test_watch_in_a_plain_console_prints_a_text_table() -> None:
    script = textwrap.dedent("""
        from dflow_like import Step, Workflow
        from dflow_like.python import OP, PythonOPTemplate

        @OP.function
        def hello(name: str) -> {"greeting": str}:
            return {"greeting": "Hello, " + name}

        wf = Workflow("console")
        wf.add(Step("hello", PythonOPTemplate(hello), parameters={"name": "x"}))
        wf.submit()
        print("returned", wf.watch(interval=0.05, timeout=60))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert "IPython.core.display" not in out.stdout
    lines = out.stdout.splitlines()
    assert lines[-1] == "returned Succeeded"
    assert lines[-3].endswith(": Succeeded, 1/1 steps done")
    assert lines[-2].split()[:2] == ["hello", "Succeeded"]


def test_ipython_terminal_pretty_print_is_the_step_table() -> None:
    from IPython.lib.pretty import pretty

    wf = Workflow("pretty")
    assert pretty(wf) == "pretty (not submitted)"
    wf.add(Step("hello", PythonOPTemplate(Hello), parameters={"name": "x"}))
    wf.add(Step("fail", PythonOPTemplate(Fail), parameters={"x": 1}))
    wf.submit()
    assert wf.wait(timeout=60) == "Failed"
    header, *rows = pretty(wf).splitlines()
    assert header == f"{wf.id}: Failed, 2/2 steps done, 1 failed  step fail failed: ValueError: bad x: 1"
    assert [r.split()[:2] for r in rows] == [["hello", "Succeeded"], ["fail", "Failed"]]


def test_text_counts_are_the_notebook_views_for_a_tolerant_fan_out() -> None:
    """A fan-out with a failed item the run tolerates: the text and the HTML count the same
    steps (its items and the step after it, not the loop's own node: it was "5/6 steps done"
    for a Succeeded run), and the plan is counted before any step starts."""
    from IPython.lib.pretty import pretty

    from dflow_like._notebook import workflow_html
    from dflow_like.python import Slices
    from tests.view.ops_for_view import Energy

    wf = Workflow("tolerant")
    fan = Step(
        "energy",
        PythonOPTemplate(Energy, slices=Slices(input_parameter=["x"], output_parameter=["energy"])),
        parameters={"x": [0, 1, 2, 3], "fail": [2]},
        continue_on_num_success=3,
    )
    wf.add(fan)
    wf.add(Step("after", PythonOPTemplate(Hello), parameters={"name": "x"}))
    wf.submit()
    total = int(pretty(wf).splitlines()[0].split(", ")[1].split()[0].split("/")[1])
    assert total >= 2  # counted from the plan at once, not from the steps started so far (was 0/0)
    assert wf.wait(timeout=60) == "Succeeded"
    header = pretty(wf).splitlines()[0]
    assert header == f"{wf.id}: Succeeded, 5/5 steps done, 1 failed"
    assert "5/5 steps done" in workflow_html(wf) and "1 Failed" in workflow_html(wf)
