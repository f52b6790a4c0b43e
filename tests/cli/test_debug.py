"""``dflow-like debug``: a step's inputs rebuilt in a folder, its OP run in the user's process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from dflow_like import Step, Workflow
    from dflow_like.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate

    class Write(OP):
        @classmethod
        def get_input_sign(cls):
            return OPIOSign({"text": str})

        @classmethod
        def get_output_sign(cls):
            return OPIOSign({"file": Artifact(Path)})

        def execute(self, op_in):
            Path("note.txt").write_text(op_in["text"])
            return OPIO({"file": Path("note.txt")})

    class Check(OP):
        @classmethod
        def get_input_sign(cls):
            return OPIOSign({"file": Artifact(Path), "limit": int})

        @classmethod
        def get_output_sign(cls):
            return OPIOSign({"size": int})

        def execute(self, op_in):
            size = len(op_in["file"].read_text())
            if size > op_in["limit"]:
                raise ValueError(f"too long: {size} > {op_in['limit']}")
            return OPIO({"size": size})

    wf = Workflow("dbg")
    write = Step("write", PythonOPTemplate(Write), parameters={"text": sys.argv[1]})
    wf.add(write)
    wf.add(Step("check", PythonOPTemplate(Check), artifacts={"file": write.outputs.artifacts["file"]},
                parameters={"limit": 5}))
    wf.submit()
""")


def cli(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dflow_like.cli", *args], capture_output=True, text=True, timeout=120,
        input=stdin, cwd=cwd,
    )  # fmt: skip


def _failed_run(tmp_path: Path) -> str:
    script = tmp_path / "dbg.py"
    script.write_text(SCRIPT)
    run = cli("run", str(script), "much too long")
    wf_id, phase = run.stdout.strip().split(": ")
    assert phase == "Failed"
    return wf_id


def test_debug_rebuilds_the_inputs_and_runs_the_op_here(tmp_path: Path) -> None:
    wf_id = _failed_run(tmp_path)
    folder = tmp_path / "dbg-check"
    done = cli("debug", wf_id, "check", "--dir", str(folder))
    assert done.returncode == 1
    # the exception comes from execute, raised in this process, with the whole traceback
    assert "ValueError: too long: 13 > 5" in done.stderr and "in execute" in done.stderr
    assert (folder / "inputs" / "artifacts" / "file" / "note.txt").read_text() == "much too long"
    assert (folder / "workdir").is_dir() and (folder / "inputs" / "parameters" / "limit").read_text() == "5"
    again = next(line for line in done.stderr.splitlines() if line.startswith("again: "))
    assert again == f"again: dflow-like debug {wf_id} check --dir {folder}"
    # the same command again works (the folder is its own earlier debug)
    assert "ValueError: too long" in cli("debug", wf_id, "check", "--dir", str(folder)).stderr


def test_breakpoint_stops_in_the_op_under_pdb(tmp_path: Path) -> None:
    wf_id = _failed_run(tmp_path)
    folder = tmp_path / "dbg-pdb"
    # post-mortem pdb (python -m pdb) lands in execute's frame, where the inputs can be inspected
    done = subprocess.run(
        [sys.executable, "-m", "pdb", "-m", "dflow_like.cli", "debug", wf_id, "check", "--dir", str(folder)],
        capture_output=True, text=True, timeout=120, input="c\np size\np op_in['limit']\nq\n",
    )  # fmt: skip
    assert "Post mortem debugger" in done.stdout
    assert "\n(Pdb) 13\n(Pdb) 5\n" in done.stdout


def test_debug_names_what_is_wrong(tmp_path: Path) -> None:
    wf_id = _failed_run(tmp_path)
    done = cli("debug", wf_id, "nosuch")
    assert done.returncode == 1 and f"workflow {wf_id!r} has no step 'nosuch'" in done.stderr
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "x").write_text("")
    done = cli("debug", wf_id, "check", "--dir", str(occupied))
    assert done.returncode == 1 and "is not empty" in done.stderr
