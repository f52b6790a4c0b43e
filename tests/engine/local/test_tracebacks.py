"""A failed step's traceback points at the user's file and line, wherever the OP was defined.

OPs and functions from a script travel to the engine by value (cloudpickle), which by
default renames their code ``<dynamic-code>``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    from dflow_like import Step, Workflow
    from dflow_like.python import OP, OPIO, OPIOSign, PythonOPTemplate

    class Divide(OP):
        @classmethod
        def get_input_sign(cls):
            return OPIOSign({"x": int})

        @classmethod
        def get_output_sign(cls):
            return OPIOSign({"y": float})

        def execute(self, op_in):
            return OPIO({"y": 1 / op_in["x"]})  # line 15

    @OP.function
    def check(x: int) -> {"y": int}:
        if x < 0:
            raise ValueError("negative")  # line 20
        return {"y": x}

    wf = Workflow("tracebacks")
    wf.add([
        Step("divide", PythonOPTemplate(Divide), parameters={"x": 0}),
        Step("check", PythonOPTemplate(check), parameters={"x": -1}),
    ])
    wf.submit()
    wf.wait(timeout=60)
    for name in ("divide", "check"):
        print(wf.query_step(name=name)[0].log_path)
""")


def test_tracebacks_name_the_users_script_and_line(tmp_path: Path) -> None:
    script = tmp_path / "science.py"
    script.write_text(SCRIPT)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True)
    divide_log, check_log = (Path(p).read_text() for p in out.stdout.split())
    assert f'File "{script}", line 15, in execute' in divide_log
    assert 'return OPIO({"y": 1 / op_in["x"]})' in divide_log  # the source line itself
    assert f'File "{script}", line 20, in check' in check_log
    assert "<dynamic-code>" not in divide_log + check_log


def test_cli_run_of_a_relative_path_shows_the_source_line(tmp_path: Path) -> None:
    """``dflow-like run ../science.py``: the step runs elsewhere, so the file name must be absolute."""
    script = tmp_path / "science.py"
    script.write_text(SCRIPT)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cmd = [sys.executable, "-m", "dflow_like.cli", "run", "../science.py"]
    out = subprocess.run(cmd, cwd=elsewhere, capture_output=True, text=True, timeout=120)
    divide_log = Path(out.stdout.split()[0]).read_text()
    assert f'File "{script}", line 15, in execute' in divide_log
    assert 'return OPIO({"y": 1 / op_in["x"]})' in divide_log


def test_a_failed_steps_traceback_starts_at_the_users_code(tmp_path: Path) -> None:
    """As ``python science.py`` shows it: the runner's own frames (``run_step``, ``_run_python``,
    the ``exec_sign_check`` wrapper) are not the user's concern and came first."""
    script = tmp_path / "science.py"
    script.write_text(SCRIPT)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True)
    divide_log = Path(out.stdout.split()[0]).read_text()
    first = divide_log.split("Traceback (most recent call last):\n", 1)[1].splitlines()[0]
    assert first.startswith(f'  File "{script}", line 15, in execute')
    assert "dflow_like/runner" not in divide_log and "in run_step" not in divide_log
    assert divide_log.rstrip().endswith("ZeroDivisionError: division by zero")
