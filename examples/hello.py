"""Hello, OP: one typed OP, one step, one workflow, one result.

python examples/hello.py
"""

from __future__ import annotations

from dflow_like import Step, Workflow
from dflow_like.python import OP, OPIO, OPIOSign, PythonOPTemplate


class Hello(OP):
    """Greets someone. The signatures are checked on the way in and on the way out."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"name": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"greeting": str, "length": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        greeting = f"Hello, {op_in['name']}!"
        return OPIO({"greeting": greeting, "length": len(greeting)})


def build_workflow() -> Workflow:
    wf = Workflow(name="hello")
    wf.add(Step("hello", PythonOPTemplate(Hello, image="python:3.11"), parameters={"name": "world"}))
    return wf


def main() -> None:
    # An OP is a plain class: it can be called (and unit-tested) without any workflow.
    assert Hello().execute(OPIO({"name": "test"}))["greeting"] == "Hello, test!"

    wf = build_workflow()
    wf.submit()  # returns at once; the run goes on in a local engine process
    phase = wf.wait()
    step = wf.query_step(name="hello")[0]
    print(f"workflow {wf.id}: {phase}")
    print(f"step {step.name}: {step.phase}, greeting = {step.outputs.parameters['greeting'].value!r}")


if __name__ == "__main__":
    main()
