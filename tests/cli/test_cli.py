"""The dflow-like command line, run as a user would (a subprocess)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from dflow_like import Workflow
from tests.polling import poll

SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from dflow_like import Step, Workflow
    from dflow_like.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate

    class Greet(OP):
        @classmethod
        def get_input_sign(cls):
            return OPIOSign({"name": str})

        @classmethod
        def get_output_sign(cls):
            return OPIOSign({"card": Artifact(Path)})

        def execute(self, op_in):
            print("writing a card for", op_in["name"])
            Path("card.txt").write_text("Dear " + op_in["name"])
            return OPIO({"card": Path("card.txt")})

    wf = Workflow("cli")
    wf.add(Step("greet", PythonOPTemplate(Greet), parameters={"name": sys.argv[1]}))
    wf.submit()
""")


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dflow_like.cli", *args], capture_output=True, text=True, check=check, timeout=120
    )


def test_run_list_status_logs_download(tmp_path: Path) -> None:
    script = tmp_path / "card.py"
    script.write_text(SCRIPT)
    run = cli("run", str(script), "Ada")
    wf_id, phase = run.stdout.strip().split(": ")
    assert wf_id.startswith("cli-") and phase == "Succeeded"
    listing = cli("list").stdout.splitlines()
    assert listing[0].split() == ["ID", "PHASE", "STARTED", "STEPS"]
    assert listing[1].startswith(wf_id) and "Succeeded" in listing[1] and listing[1].endswith(" 1 step")
    status = cli("status", wf_id).stdout.splitlines()
    assert status[0] == f"{wf_id}: Succeeded"
    assert status[1].split() == ["STEP", "PHASE", "QUEUED", "RAN"]
    assert status[3].split()[:2] == ["greet", "Succeeded"] and status[3].startswith("  ")  # a tree, indented
    queued, ran = status[3].split()[2:4]
    assert queued.endswith("s") and ran.endswith("s") and float(ran[:-1]) >= 0
    assert "writing a card for Ada" in cli("logs", wf_id, "greet").stdout
    out = cli("download", wf_id, "greet", "--artifact", "card", "--path", str(tmp_path / "dl")).stdout.split()
    assert Path(out[0]).read_text() == "Dear Ada"


NOTES = textwrap.dedent("""
    from pathlib import Path
    from dflow_like import Step, Workflow
    from dflow_like.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate, Slices

    class Square(OP):
        @classmethod
        def get_input_sign(cls):
            return OPIOSign({"x": int})

        @classmethod
        def get_output_sign(cls):
            return OPIOSign({"note": Artifact(Path)})

        def execute(self, op_in):
            Path("note.txt").write_text(f"{op_in['x']}^2")
            return OPIO({"note": Path("note.txt")})

    wf = Workflow("notes")
    slices = Slices(input_parameter=["x"], output_artifact=["note"])
    wf.add(Step("sq", PythonOPTemplate(Square, slices=slices), parameters={"x": [1, 2, 3]}))
    wf.submit()
""")


def test_download_of_a_sliced_step_keeps_every_items_file(tmp_path: Path) -> None:
    script = tmp_path / "notes.py"
    script.write_text(NOTES)
    wf_id = cli("run", str(script)).stdout.split(":")[0]
    out = cli("download", wf_id, "sq", "--artifact", "note", "--path", str(tmp_path / "dl")).stdout.split()
    assert out == [str(tmp_path / "dl" / str(i) / "note.txt") for i in range(3)]
    assert [Path(p).read_text() for p in out] == ["1^2", "2^2", "3^2"]


def test_unknown_ids_and_steps_are_clear_errors(tmp_path: Path) -> None:
    missing = cli("status", "nope-12345", check=False)
    assert missing.returncode == 1 and missing.stderr.startswith("dflow-like: no local workflow 'nope-12345' under ")
    assert not missing.stderr.rstrip().endswith('"')  # the message, not the repr of a KeyError
    script = tmp_path / "card.py"
    script.write_text(SCRIPT)
    wf_id = cli("run", str(script), "Bo").stdout.split(":")[0]
    bad = cli("download", wf_id, "greet", "--artifact", "nope", check=False)
    assert bad.returncode == 1 and "has no output artifact 'nope' (it has: card)" in bad.stderr


def test_resume_finishes_a_run_whose_engine_was_killed(tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    script = tmp_path / "slow.py"
    script.write_text(
        textwrap.dedent(f"""
        import time
        from pathlib import Path
        from dflow_like import Step, Workflow
        from dflow_like.python import OP, PythonOPTemplate

        @OP.function
        def nap(i: int) -> {{"i": int}}:
            deadline = time.monotonic() + 60
            while i >= 2 and not Path({str(gate)!r}).exists() and time.monotonic() < deadline:
                time.sleep(0.01)  # the second stage holds until the test has killed the engine
            return {{"i": i}}

        wf = Workflow("slow")
        wf.add([Step(f"nap{{i}}", PythonOPTemplate(nap), parameters={{"i": i}}) for i in range(2)])
        wf.add([Step(f"nap{{i}}", PythonOPTemplate(nap), parameters={{"i": i}}) for i in range(2, 6)])
        wf.submit()
        print(wf.id)
    """)
    )
    wf_id = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True).stdout.strip()
    wf = Workflow(id=wf_id)
    poll(lambda: len(wf.query_step(type="Pod", phase="Succeeded")) >= 2, "the first stage to succeed")
    from dflow_like.engine.local.backend import LocalBackend

    os.kill(int(LocalBackend()._row(wf_id)["engine_pid"]), signal.SIGKILL)
    poll(lambda: "Error" in cli("status", wf_id, check=False).stdout.splitlines()[0], "`status` to say Error")
    gate.touch()
    resumed = cli("resume", wf_id)
    assert resumed.stdout.strip() == f"{wf_id}: Succeeded"
    assert len(wf.query_step(type="Pod", phase="Succeeded")) == 6


def test_every_subcommand_help_describes_its_arguments() -> None:
    described = {
        "run": ["FILE", "the Python script", "ARG"],
        "list": ["One line per run"],
        "status": ["ID", "QUEUED is the time"],
        "logs": ["ID", "STEP", "only this step"],
        "download": ["ID", "STEP", "--artifact NAME", "--path DIR"],
        "resume": ["ID", "--no-wait", "Succeeded steps are kept"],
        "terminate": ["ID", "--timeout S", "kill its running steps"],
        "delete": ["ID", "Delete a finished run"],
        "wait": ["ID", "--timeout S", "exits 1 unless it succeeded"],
    }
    for command, phrases in described.items():
        text = " ".join(cli(command, "--help").stdout.split())
        for phrase in phrases:
            assert phrase in text, (command, phrase, text)


def test_list_with_no_runs_says_so() -> None:
    empty = cli("list")
    assert empty.stdout == "" and empty.stderr.strip() == "no workflow runs yet"


HOLD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from dflow_like import Step, Workflow
    from dflow_like.python import OP, PythonOPTemplate

    @OP.function
    def hold(gate: str) -> {"done": int}:
        deadline = time.monotonic() + 120
        while not Path(gate).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return {"done": 1}

    wf = Workflow("held")
    wf.add(Step("hold", PythonOPTemplate(hold), parameters={"gate": sys.argv[1]}))
    wf.submit()
    print(wf.id, flush=True)
    wf.wait()
""")


def test_terminate_wait_and_delete_as_dflows_command_line_has_them(tmp_path: Path) -> None:
    """dflow's CLI (``src/dflow/main.py``: ``terminate``, ``wait``, ``delete``). A user who
    pressed Ctrl-C in a script's ``wait()`` is told the run goes on and how to stop it."""
    script = tmp_path / "held.py"
    script.write_text(HOLD)
    caller = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "gate")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert caller.stdout is not None
    wf_id = caller.stdout.readline().strip()
    wf = Workflow(id=wf_id)
    poll(lambda: [s.phase for s in wf.query_step(name="hold")] == ["Running"], "hold to run")
    caller.send_signal(signal.SIGINT)  # Ctrl-C in wait()
    _, err = caller.communicate(timeout=60)
    assert f"stopped waiting for workflow {wf_id}, which goes on: 'dflow-like terminate {wf_id}'" in err
    assert wf.query_status() == "Running"
    waited = cli("wait", wf_id, "--timeout", "0.2", check=False)
    assert waited.returncode == 1 and "still Running after 0.2 s" in waited.stderr
    stopped = cli("terminate", wf_id)
    assert stopped.stdout.strip() == f"{wf_id}: Failed  terminated"
    assert cli("wait", wf_id, check=False).stdout.strip() == f"{wf_id}: Failed  terminated"
    assert cli("delete", wf_id).stdout.strip() == f"{wf_id}: deleted"
    assert wf_id not in cli("list").stdout


EVERY = NOTES.replace(
    "wf.submit()\n",
    textwrap.dedent("""
        @OP.function
        def count(n: int) -> {"n": int}:
            return {"n": n}

        wf.add(Step("count", PythonOPTemplate(count), parameters={"n": 3}))
        wf.submit()
    """),
)


def test_download_without_a_step_fetches_every_steps_artifacts(tmp_path: Path) -> None:
    script = tmp_path / "every.py"
    script.write_text(EVERY)
    wf_id, phase = cli("run", str(script)).stdout.strip().split(": ")
    assert phase == "Succeeded"
    out = cli("download", wf_id, "--path", str(tmp_path / "all")).stdout.split()
    assert out == [str(tmp_path / "all" / "sq" / str(i) / "note.txt") for i in range(3)]  # count has none
    assert [Path(p).read_text() for p in out] == ["1^2", "2^2", "3^2"]
    quiet = cli("download", wf_id, "count", "--path", str(tmp_path / "none"))
    assert quiet.stdout == "" and "step 'count' has no output artifacts (its output parameters: n)" in quiet.stderr
