"""``query_global_outputs()`` on the local engine: outputs exported with a global name, as on Argo."""

from __future__ import annotations

from pathlib import Path

from dflow_like import OutputParameter, Outputs, Step, Steps, Workflow, download_artifact
from dflow_like.python import PythonOPTemplate
from tests.ops_for_tests import Hello


def test_global_outputs_of_a_local_run(tmp_path: Path) -> None:
    hello = PythonOPTemplate(
        Hello,
        output_parameter_global_name={"greeting": "best-greeting"},
        output_artifact_global_name={"file": "greeting-file"},
    )
    inner = Steps("inner", outputs=Outputs(parameters={"last": OutputParameter(global_name="last-greeting")}))
    step = Step("hello", hello, parameters={"name": "Ada"})
    inner.add(step)
    inner.outputs.parameters["last"].value_from_parameter = step.outputs.parameters["greeting"]
    wf = Workflow("globals")
    wf.add(Step("nested", inner))
    wf.submit()
    assert wf.wait(timeout=60) == "Succeeded"
    outputs = wf.query_global_outputs()
    assert outputs["parameters"] == {"best-greeting": "Hello, Ada!", "last-greeting": "Hello, Ada!"}
    (path,) = download_artifact(outputs["artifacts"]["greeting-file"], path=tmp_path)
    assert Path(path).read_text() == "Hello, Ada!"


def test_a_run_without_global_names_has_empty_global_outputs() -> None:
    wf = Workflow("no-globals")
    wf.add(Step("hello", PythonOPTemplate(Hello), parameters={"name": "x"}))
    wf.submit()
    assert wf.wait(timeout=60) == "Succeeded"
    assert wf.query_global_outputs() == {"parameters": {}, "artifacts": {}}
