"""``retry``: a finished run's failed steps again (keeping the rest), or one named step and what it feeds."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from dflow_like import Workflow

SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from dflow_like import Step, Workflow
    from dflow_like.python import OP, OPIO, OPIOSign, PythonOPTemplate

    class Read(OP):
        '''Fails while the flag file exists; else returns the text of a file.'''

        @classmethod
        def get_input_sign(cls):
            return OPIOSign({"path": str, "flag": str})

        @classmethod
        def get_output_sign(cls):
            return OPIOSign({"text": str})

        def execute(self, op_in):
            if Path(op_in["flag"]).exists():
                raise RuntimeError("flag is up")
            return OPIO({"text": Path(op_in["path"]).read_text()})

    class Shout(OP):
        @classmethod
        def get_input_sign(cls):
            return OPIOSign({"text": str})

        @classmethod
        def get_output_sign(cls):
            return OPIOSign({"text": str})

        def execute(self, op_in):
            return OPIO({"text": op_in["text"].upper()})

    folder = sys.argv[1]
    never = folder + "/never"
    wf = Workflow("retry")
    first = Step("first", PythonOPTemplate(Read), parameters={"path": folder + "/a.txt", "flag": never})
    wf.add(first)
    middle = Step("middle", PythonOPTemplate(Read), parameters={"path": folder + "/b.txt", "flag": folder + "/flag"})
    aside = Step("aside", PythonOPTemplate(Read), parameters={"path": folder + "/a.txt", "flag": never})
    wf.add([middle, aside])
    wf.add(Step("last", PythonOPTemplate(Shout), parameters={"text": middle.outputs.parameters["text"]}))
    wf.submit()
""")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dflow_like.cli", *args], capture_output=True, text=True, timeout=120)


def _ends(wf_id: str) -> dict[str, tuple[str, float | None]]:
    return {r.name: (r.phase, r.end_time) for r in Workflow(id=wf_id).query_step(type="Pod")}


def _setup(tmp_path: Path) -> Path:
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "b.txt").write_text("b")
    (tmp_path / "flag").write_text("")
    script = tmp_path / "retry.py"
    script.write_text(SCRIPT)
    return script


def test_retry_reruns_the_failed_step_and_what_depends_on_it_keeping_the_rest(tmp_path: Path) -> None:
    script = _setup(tmp_path)
    wf_id, phase = cli("run", str(script), str(tmp_path)).stdout.strip().split(": ")
    assert phase == "Failed"
    before = _ends(wf_id)
    assert before["middle"][0] == "Failed" and "last" not in before
    (tmp_path / "flag").unlink()
    done = cli("retry", wf_id)
    assert done.stdout.strip() == f"{wf_id}: Succeeded", done.stderr
    after = _ends(wf_id)
    assert after["first"] == before["first"] and after["aside"] == before["aside"]  # kept, not run again
    assert after["middle"][0] == after["last"][0] == "Succeeded"
    last = Workflow(id=wf_id).query_step(name="last")[0]
    assert last.outputs.parameters["text"].value == "B"


def test_retry_of_a_named_step_reruns_it_and_the_steps_its_new_outputs_feed(tmp_path: Path) -> None:
    script = _setup(tmp_path)
    (tmp_path / "flag").unlink()
    wf_id, phase = cli("run", str(script), str(tmp_path)).stdout.strip().split(": ")
    assert phase == "Succeeded"
    before = _ends(wf_id)
    # the same output: the step runs again, what it feeds is kept
    assert cli("retry", wf_id, "middle").stdout.strip() == f"{wf_id}: Succeeded"
    same = _ends(wf_id)
    assert same["middle"][1] != before["middle"][1]
    assert {n: same[n] for n in ("first", "aside", "last")} == {n: before[n] for n in ("first", "aside", "last")}
    # a new output: what reads it runs again too
    (tmp_path / "b.txt").write_text("changed")
    assert cli("retry", wf_id, "middle").stdout.strip() == f"{wf_id}: Succeeded"
    changed = _ends(wf_id)
    assert changed["last"][1] != before["last"][1]
    assert {n: changed[n] for n in ("first", "aside")} == {n: before[n] for n in ("first", "aside")}
    last = Workflow(id=wf_id).query_step(name="last")[0]
    assert last.outputs.parameters["text"].value == "CHANGED"


def test_retry_says_what_is_wrong(tmp_path: Path) -> None:
    script = _setup(tmp_path)
    (tmp_path / "flag").unlink()
    wf_id, _ = cli("run", str(script), str(tmp_path)).stdout.strip().split(": ")
    done = cli("retry", wf_id)
    assert done.returncode == 1 and "only a Failed or Error run can be retried" in done.stderr
    done = cli("retry", wf_id, "nosuch")
    assert done.returncode == 1 and f"workflow {wf_id!r} has no step 'nosuch'" in done.stderr
    assert "first" in done.stderr  # it lists the steps there are
