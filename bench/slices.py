"""One step sliced over N items of a trivial ``@OP.function`` (x -> x*x), no group_size.

Run: python bench/slices.py [N ...]      (default: 100 1000)
The same 100-item program on dflow's local mode: bench/dflow_slices.py (see its docstring).
"""

from __future__ import annotations

import sys

from _common import fresh_home, square, timed

from dflow_like import Step, Workflow
from dflow_like.python import PythonOPTemplate, Slices


def build(n: int) -> Workflow:
    wf = Workflow("slices")
    template = PythonOPTemplate(square, slices=Slices(input_parameter=["x"], output_parameter=["y"]))
    wf.add(Step("square", template, parameters={"x": list(range(n))}))
    return wf


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [100, 1000]
    fresh_home()
    for n in sizes:
        wall, span, wf = timed(lambda n=n: build(n))
        ys = wf.query_step(name="square", type="StepGroup")[0].outputs.parameters["y"].value
        assert ys == [i * i for i in range(n)], "outputs must come back in item order"
        print(
            f"slices N={n}: wall {wall:.2f} s (incl. engine start-up), items span {span:.2f} s, "
            f"{1000 * wall / n:.2f} ms per item; "
            f"CPU {wf.cpu_seconds:.2f} s ({1000 * wf.cpu_seconds / n:.2f} ms per item)"
        )


if __name__ == "__main__":
    main()
