"""Step caching end to end: what runs again after the user changes one thing, and what does not."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from .conftest import run_cached

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

HELPERS = '''
"""Helpers: one is used by the OP, one is not."""

FACTOR = 2


def double(x: float) -> float:
    return x * FACTOR


def unused(x: float) -> float:
    # a comment
    return x - 1
'''

CHAIN = """
from pathlib import Path

import helpers
import unrelated
from dflow_like import Step, Workflow
from dflow_like.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate, Slices


class Write(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"values": list})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"files": Artifact(list[Path])})

    @OP.exec_sign_check
    def execute(self, op_in):
        files = []
        for i, v in enumerate(op_in["values"]):
            path = Path(f"v{i}.txt")
            path.write_text(str(v))
            files.append(path)
        return OPIO({"files": files})


class Double(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"file": Artifact(Path)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": float})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"y": helpers.double(float(op_in["file"].read_text()))})


class Total(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"ys": list})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"total": float})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"total": sum(op_in["ys"])})


VALUES = [1.0, 2.0, 3.0]


def build():
    write = Step("write", PythonOPTemplate(Write), parameters={"values": VALUES})
    double = Step(
        "double",
        PythonOPTemplate(Double, slices=Slices(input_artifact=["file"], output_parameter=["y"])),
        artifacts={"file": write.outputs.artifacts["files"]},
    )
    total = Step("total", PythonOPTemplate(Total), parameters={"ys": double.outputs.parameters["y"]})
    wf = Workflow("chain")
    for step in (write, double, total):
        wf.add(step)
    return wf
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "helpers.py").write_text(HELPERS)
    (folder / "unrelated.py").write_text(
        '"""Imported by the workflow module, used by no OP."""\n\nX = 1  # a comment\n'
    )
    (folder / "chain.py").write_text(CHAIN)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


ALL_CHAIN = ["double(0:0)", "double(1:1)", "double(2:2)", "total", "write"]


def test_an_unchanged_rerun_runs_no_op_and_says_where_each_result_came_from(project: Path) -> None:
    first = run_cached(project, "chain")
    assert first["ran"] == ALL_CHAIN
    second = run_cached(project, "chain")
    assert second["ran"] == []
    assert second["cached"]["total"] == f"cached from {first['id']}/total"
    assert second["cached"]["double(1:1)"] == f"cached from {first['id']}/double(1:1)"


def test_a_comment_or_an_unused_function_edited_in_a_module_reruns_nothing(project: Path) -> None:
    run_cached(project, "chain")
    _edit(project / "unrelated.py", "# a comment", "# another comment")
    _edit(project / "helpers.py", "return x - 1", "return x - 2")  # unused() is not reached from any OP
    _edit(project / "chain.py", "        files = []", "        # build the list\n        files = []")  # a comment
    assert run_cached(project, "chain")["ran"] == []


def test_a_line_of_an_ops_execute_reruns_that_ops_steps_and_what_depends_on_them(project: Path) -> None:
    run_cached(project, "chain")
    _edit(project / "chain.py", 'OPIO({"total": sum(op_in["ys"])})', 'OPIO({"total": 1.0 + sum(op_in["ys"])})')
    assert run_cached(project, "chain")["ran"] == ["total"]


def test_a_helper_function_or_constant_the_op_uses_reruns_its_steps(project: Path) -> None:
    run_cached(project, "chain")
    _edit(project / "helpers.py", "FACTOR = 2", "FACTOR = 3")
    # double's outputs change, so total's inputs change too
    assert run_cached(project, "chain")["ran"] == ["double(0:0)", "double(1:1)", "double(2:2)", "total"]


def test_one_changed_input_reruns_that_item_and_what_depends_on_it(project: Path) -> None:
    run_cached(project, "chain")
    _edit(project / "chain.py", "VALUES = [1.0, 2.0, 3.0]", "VALUES = [1.0, 5.0, 3.0]")
    # write runs again (its parameter changed) but writes the same v0.txt and v2.txt
    assert run_cached(project, "chain")["ran"] == ["double(1:1)", "total", "write"]


def test_the_eos_example_reruns_only_the_changed_scale_and_what_depends_on_it(tmp_path: Path) -> None:
    folder = tmp_path / "eos"
    folder.mkdir()
    shutil.copy(EXAMPLES / "eos.py", folder / "eos.py")
    (folder / "eos_run.py").write_text("from eos import build_workflow as build\n")
    first = run_cached(folder, "eos_run")
    assert len(first["ran"]) == 24  # build, scale, 20 energies, fit, plot
    assert run_cached(folder, "eos_run")["ran"] == []
    source = (folder / "eos.py").read_text()
    edited = re.sub(
        r"SCALES = .*\n",
        "SCALES = [float(s) for s in np.linspace(0.95, 1.05, 20)]\nSCALES[7] = 1.0123\n",
        source,
        count=1,
    )
    (folder / "eos.py").write_text(edited)
    # scale runs again (its list changed); its other 19 files are the same, so only item 7 runs
    assert run_cached(folder, "eos_run")["ran"] == ["energy(7:7)", "fit", "plot", "scale"]


def test_a_template_can_opt_out_of_a_caching_workflow(project: Path) -> None:
    _edit(project / "chain.py", "PythonOPTemplate(Total)", "PythonOPTemplate(Total, cache=False)")
    run_cached(project, "chain")
    assert run_cached(project, "chain")["ran"] == ["total"]


def test_a_template_can_opt_in_when_its_workflow_does_not_cache(project: Path) -> None:
    _edit(project / "chain.py", "PythonOPTemplate(Total)", "PythonOPTemplate(Total, cache=True)")
    assert run_cached(project, "chain", workflow_cache=False)["ran"] == ALL_CHAIN
    second = run_cached(project, "chain", workflow_cache=False)
    assert second["ran"] == ["double(0:0)", "double(1:1)", "double(2:2)", "write"] and list(second["cached"]) == [
        "total"
    ]
