"""dflow programs using its launching plugin run on dflow_like with the imports renamed.

dflow's ``src/dflow/plugins/launching.py`` (``OP_to_parser``, ``python_OP_to_parser``,
``OP_template_to_parser``) and its examples ``examples/test_launching.py`` (an OP class)
and ``examples/test_launching_2.py`` (a ``Steps`` template): the programs below are
written in their style and run as a user runs them, ``python prog.py --foo in.txt``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dflow_like.plugins.launching import OP_to_parser

DUPLICATE = """
import sys
from pathlib import Path

from dflow_like.python import OP, OPIO, Artifact, OPIOSign, Parameter


class Duplicate(OP):
    def __init__(self):
        pass

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({
            "foo": Artifact(Path, description="input file"),
            "num": Parameter(int, default=2, description="number"),
        })

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"bar": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        with open(op_in["foo"], "r") as f:
            content = f.read()
        with open("bar.txt", "w") as f:
            f.write(content * op_in["num"])
        return OPIO({"bar": Path("bar.txt")})
"""

OP_MAIN = """
if __name__ == "__main__":
    from dflow_like.plugins.launching import OP_to_parser
    to_parser = OP_to_parser(Duplicate)
    to_parser()(sys.argv[1:])
"""

STEPS_MAIN = """
if __name__ == "__main__":
    from dflow_like import InputArtifact, InputParameter, OutputArtifact, Step, Steps
    from dflow_like.python import PythonOPTemplate
    from dflow_like.plugins.launching import OP_to_parser
    steps = Steps(name="duplicate-steps")
    steps.inputs.parameters["num"] = InputParameter(value=2, description="number")
    steps.inputs.artifacts["foo"] = InputArtifact(description="input file")
    step = Step(
        name="duplicate",
        template=PythonOPTemplate(Duplicate, image="python:3.8"),
        parameters={"num": steps.inputs.parameters["num"]},
        artifacts={"foo": steps.inputs.artifacts["foo"]})
    steps.add(step)
    steps.outputs.artifacts["bar"] = OutputArtifact(_from=step.outputs.artifacts["bar"])
    to_parser = OP_to_parser(steps)
    to_parser()(sys.argv[1:])
"""

# An OP of many parameter types, written as dflow's commented @OP.function variant of
# examples/test_launching.py; its outputs are parameters.
SUMMARY = """
import sys
from pathlib import Path
from typing import Dict, List, Optional

from dflow_like.python import OP, Artifact, Parameter


@OP.function
def Summary(
    words: Artifact(Path, description="a file of words"),
    scale: float,
    counts: List[int],
    weights: Dict[str, int],
    title: Parameter(str, default="total", description="label of the sum"),
    loud: Parameter(bool, default=False),
    limit: Optional[int] = None,
) -> {"label": str, "total": float, "n_words": int, "report": Artifact(Path)}:
    n = len(Path(words).read_text().split())
    total = scale * (sum(counts) + sum(weights.values()))
    label = title.upper() if loud else title
    Path("out").mkdir(exist_ok=True)
    Path("out/report.txt").write_text(f"{label}={total} limit={limit}")
    return {"label": label, "total": total, "n_words": n, "report": Path("out/report.txt")}


if __name__ == "__main__":
    from dflow_like.plugins.launching import OP_to_parser
    OP_to_parser(Summary)()(sys.argv[1:])
"""

# A PythonOPTemplate with an output parameter, submitted as a workflow.
TEMPLATE = """
import sys

from dflow_like.python import OP, OPIO, OPIOSign, Parameter, PythonOPTemplate


class Add(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"a": Parameter(int, description="first term"), "b": Parameter(int, default=10)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"sum": int, "text": str})

    @OP.exec_sign_check
    def execute(self, op_in):
        if op_in["a"] < 0:
            raise ValueError("a must not be negative")
        return OPIO({"sum": op_in["a"] + op_in["b"], "text": "done"})


if __name__ == "__main__":
    from dflow_like.plugins.launching import OP_to_parser
    OP_to_parser(PythonOPTemplate(Add))()(sys.argv[1:])
"""


def run(tmp_path: Path, source: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python prog.py ARGS`` in ``tmp_path/work``, with its home in ``tmp_path``, as a user runs it."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (work / "prog.py").write_text(textwrap.dedent(source))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DFLOW_LIKE_", "DFLOW_"))}
    env["DFLOW_LIKE_HOME"] = str(tmp_path / "home")
    return subprocess.run(
        [sys.executable, "prog.py", *args], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )


def test_an_op_class_runs_here_and_writes_its_outputs(tmp_path: Path) -> None:
    """``python_OP_to_parser``: the OP's ``execute`` runs in the current directory (no
    workflow); its output artifact is copied to ``outputs/artifacts/<name>/``."""
    (tmp_path / "work").mkdir(exist_ok=True)
    (tmp_path / "work" / "foo.txt").write_text("ab\n")
    proc = run(tmp_path, DUPLICATE + OP_MAIN, "--foo", "foo.txt", "--num", "3")
    assert proc.returncode == 0, proc.stderr
    work = tmp_path / "work"
    assert (work / "outputs" / "artifacts" / "bar" / "bar.txt").read_text() == "ab\n" * 3
    assert (work / "bar.txt").read_text() == "ab\n" * 3  # written where it ran: here
    assert "outputs/artifacts/bar/bar.txt" in proc.stdout
    assert not (tmp_path / "home" / "workflows").exists()  # no workflow was submitted

    again = run(tmp_path, DUPLICATE + OP_MAIN, "--foo", "foo.txt", "--output_dir", "elsewhere")
    assert again.returncode == 0, again.stderr
    assert (work / "elsewhere" / "artifacts" / "bar" / "bar.txt").read_text() == "ab\n" * 2  # num's default


def test_help_lists_the_inputs_of_the_op(tmp_path: Path) -> None:
    proc = run(tmp_path, DUPLICATE + OP_MAIN, "--help")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "usage: prog.py" in text and "--foo FOO" in text and "--num NUM" in text
    assert "input file" in text and "number" in text and "default: 2" in text
    assert "--output_dir" in text and "--json-config" in text
    assert run(tmp_path, DUPLICATE + OP_MAIN, "-h").stdout == text
    assert run(tmp_path, DUPLICATE + OP_MAIN, "--version").stdout.strip() == "1.0.0"


def test_bad_input_names_the_field_what_it_expects_and_what_it_got(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir(exist_ok=True)
    (tmp_path / "work" / "foo.txt").write_text("x")

    wrong = run(tmp_path, DUPLICATE + OP_MAIN, "--foo", "foo.txt", "--num", "three")
    assert wrong.returncode == 2
    assert "--num (input parameter 'num', 'number'): expected int, given 'three'" in wrong.stderr

    missing = run(tmp_path, DUPLICATE + OP_MAIN, "--num", "3")
    assert missing.returncode == 2
    assert "--foo (input artifact 'foo', 'input file'): required" in missing.stderr
    assert "expected a path to an existing file or directory, given nothing" in missing.stderr

    absent = run(tmp_path, DUPLICATE + OP_MAIN, "--foo", "nope.txt")
    assert absent.returncode == 2
    assert "--foo" in absent.stderr and "given 'nope.txt', which does not exist" in absent.stderr

    typo = run(tmp_path, DUPLICATE + OP_MAIN, "--foo", "foo.txt", "--nmu", "3")
    assert typo.returncode == 2 and "did you mean --num?" in typo.stderr

    both = run(tmp_path, DUPLICATE + OP_MAIN, "--num", "2.5")
    assert both.returncode == 2
    assert "2 inputs are wrong" in both.stderr and "--foo" in both.stderr and "given '2.5'" in both.stderr
    assert not (tmp_path / "work" / "outputs").exists()  # nothing ran


def test_parameters_of_each_type_and_a_json_config(tmp_path: Path) -> None:
    """Values convert to the declared types (a list as several words, a dict as JSON, a
    bool as pydantic-cli's ``--enable-<name>``); output parameters are written as dflow's
    ``handle_output_parameter`` writes them (a string as is, anything else as JSON)."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (work / "words.txt").write_text("one two three")
    args = ["--words", "words.txt", "--scale", "0.5", "--counts", "1", "2", "3", "--weights", '{"x": 4}']
    proc = run(tmp_path, SUMMARY, *args, "--enable-loud", "--limit", "7")
    assert proc.returncode == 0, proc.stderr
    params = work / "outputs" / "parameters"
    assert (params / "label").read_text() == "TOTAL"
    assert json.loads((params / "total").read_text()) == 5.0
    assert (params / "n_words").read_text() == "3"
    assert (work / "outputs" / "artifacts" / "report" / "out" / "report.txt").read_text() == "TOTAL=5.0 limit=7"

    (work / "config.json").write_text(
        json.dumps({"words": "words.txt", "scale": 2, "counts": [1], "weights": {"y": 1}, "title": "sum"})
    )
    proc = run(tmp_path, SUMMARY, "--json-config", "config.json", "--counts", "[5, 5]")
    assert proc.returncode == 0, proc.stderr
    assert (params / "label").read_text() == "sum"
    assert json.loads((params / "total").read_text()) == 22.0  # the command line's counts win
    assert (work / "outputs" / "artifacts" / "report" / "out" / "report.txt").read_text() == "sum=22.0 limit=None"

    bad = run(tmp_path, SUMMARY, "--json-config", "config.json", "--counts", "1", "x", "--weights", '{"y": "z"}')
    assert bad.returncode == 2
    assert "--counts (input parameter 'counts'): expected List[int], given '1' 'x'" in bad.stderr
    assert "--weights (input parameter 'weights'): expected Dict[str, int], given '{\"y\": \"z\"}'" in bad.stderr

    helped = run(tmp_path, SUMMARY, "--help").stdout
    assert "--counts COUNTS [COUNTS ...]" in helped and "--enable-loud" in helped and "label of the sum" in helped


def test_a_steps_template_is_submitted_as_a_workflow(tmp_path: Path) -> None:
    """``OP_template_to_parser`` (``examples/test_launching_2.py``): the template runs as
    step ``dflow-main`` of a submitted workflow; artifacts land in ``outputs/artifact/``."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    (work / "foo.txt").write_text("hi\n")
    helped = run(tmp_path, DUPLICATE + STEPS_MAIN, "--help")
    assert "--num NUM" in helped.stdout and "--foo FOO" in helped.stdout and "input file" in helped.stdout

    proc = run(tmp_path, DUPLICATE + STEPS_MAIN, "--foo", "foo.txt", "--num", "3")
    assert proc.returncode == 0, proc.stderr
    assert (work / "outputs" / "artifact" / "bar" / "bar.txt").read_text() == "hi\n" * 3
    assert not (work / "bar.txt").exists()  # it ran in the workflow's step, not here
    run_id = proc.stdout.split("workflow ", 1)[1].split()[0]
    assert run_id.startswith("duplicate-steps-") and "Succeeded" in proc.stdout
    assert (tmp_path / "home" / "workflows" / run_id).is_dir()  # a run of DFLOW_LIKE_HOME, as any submitted


def test_a_python_op_template_writes_output_parameters_and_reports_failure(tmp_path: Path) -> None:
    proc = run(tmp_path, TEMPLATE, "--a", "5")
    assert proc.returncode == 0, proc.stderr
    params = tmp_path / "work" / "outputs" / "parameters"
    assert (params / "sum").read_text() == "15" and (params / "text").read_text() == "done"

    helped = run(tmp_path, TEMPLATE, "--help").stdout
    assert "first term" in helped and "(parameter: int; required)" in helped and "default: 10" in helped

    failed = run(tmp_path, TEMPLATE, "--a", "-1")
    assert failed.returncode == 1
    assert "Failed" in failed.stderr and "a must not be negative" in failed.stderr


def test_an_op_that_raises_exits_1_with_its_traceback(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir(exist_ok=True)
    (tmp_path / "work" / "foo.txt").write_text("x")
    source = DUPLICATE.replace(
        'with open(op_in["foo"]', 'raise RuntimeError("disk full")\n        with open(op_in["foo"]'
    )
    proc = run(tmp_path, source + OP_MAIN, "--foo", "foo.txt")
    assert proc.returncode == 1
    assert "RuntimeError: disk full" in proc.stderr and "OP Duplicate failed" in proc.stderr


def test_op_to_parser_refuses_what_is_not_an_op() -> None:
    with pytest.raises(ValueError, match="expected a Python OP"):
        OP_to_parser(print)  # type: ignore[arg-type]
