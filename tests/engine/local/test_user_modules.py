"""OPs imported from the user's own modules, however the driver is started.

Python puts the script's folder first on ``sys.path`` (``''``, the current directory,
under ``python -c``, stdin and notebooks). The engine process and the processes that
run the steps start elsewhere, so they must be handed the same ``sys.path``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.requires import import_or_fail

MYOPS = textwrap.dedent("""
    from dflow_like.python import OP, OPIO, OPIOSign

    class Double(OP):
        @classmethod
        def get_input_sign(cls):
            return OPIOSign({"x": int})

        @classmethod
        def get_output_sign(cls):
            return OPIOSign({"y": int})

        @OP.exec_sign_check
        def execute(self, op_in):
            import helper  # imported in the step's own process, from its working directory

            return OPIO({"y": helper.twice(op_in["x"])})
""")

DRIVER = textwrap.dedent("""
    from dflow_like import Step, Workflow
    from dflow_like.python import PythonOPTemplate
    from myops import Double

    wf = Workflow("mods")
    wf.add(Step("double", PythonOPTemplate(Double), parameters={"x": 21}))
    wf.submit()
    phase = wf.wait(timeout=60)
    print(phase, wf.query_step(name="double")[0].outputs.parameters["y"].value if phase == "Succeeded" else "")
    print(wf.query_message())
""")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's folder: a driver script with ``myops.py`` and ``helper.py`` beside it."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "myops.py").write_text(MYOPS)
    (folder / "helper.py").write_text("def twice(x):\n    return 2 * x\n")
    (folder / "driver.py").write_text(DRIVER)
    return folder


def python(*args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_cli_run_of_a_driver_in_another_folder(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = python("-m", "dflow_like.cli", "run", "../project/driver.py", cwd=elsewhere)
    assert out.splitlines()[0] == "Succeeded 42"


def test_python_dash_c_in_the_users_folder(project: Path) -> None:
    out = python("-c", (project / "driver.py").read_text(), cwd=project)
    assert out.splitlines()[0] == "Succeeded 42"


def test_driver_piped_on_stdin(project: Path) -> None:
    out = python("-", cwd=project, stdin=(project / "driver.py").read_text())
    assert out.splitlines()[0] == "Succeeded 42"


def test_notebook_beside_the_users_module(project: Path) -> None:
    """A Jupyter kernel has ``''`` on ``sys.path`` and runs in the notebook's folder."""
    nbformat = import_or_fail("nbformat")
    nbclient = import_or_fail("nbclient")
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell((project / "driver.py").read_text())]
    client = nbclient.NotebookClient(
        book, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(project)}}
    )
    client.execute()
    text = "".join(out.get("text", "") for out in book.cells[0].outputs)
    assert text.splitlines()[0] == "Succeeded 42"
