"""A 100-step chain of a trivial OP: wall seconds and per-step overhead.

Run: python bench/chain.py [N]
"""

from __future__ import annotations

import sys

from _common import fresh_home, increment, timed

from dflow_like import Step, Workflow
from dflow_like.python import PythonOPTemplate


def build(n: int) -> Workflow:
    wf = Workflow("chain")
    template = PythonOPTemplate(increment)
    previous = Step("s0", template, parameters={"x": 0})
    wf.add(previous)
    for i in range(1, n):
        step = Step(f"s{i}", template, parameters={"x": previous.outputs.parameters["x"]})
        wf.add(step)
        previous = step
    return wf


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    fresh_home()
    wall, steps_span, wf = timed(lambda: build(n))
    last = wf.query_step(name=f"s{n - 1}")[0].outputs.parameters["x"].value
    assert last == n, last
    print(f"chain of {n} steps: wall {wall:.2f} s (submit to Succeeded, incl. engine start-up)")
    print(f"  steps span {steps_span:.2f} s -> per-step overhead {1000 * steps_span / n:.1f} ms")


if __name__ == "__main__":
    main()
