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
    assert header == f"{wf.id}: Failed, 1/2 steps done  step fail failed: ValueError: bad x: 1"
    assert [r.split()[:2] for r in rows] == [["hello", "Succeeded"], ["fail", "Failed"]]
