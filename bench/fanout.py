"""200 independent trivial steps in one parallel stage: wall seconds.

Run: python bench/fanout.py [N]
"""

from __future__ import annotations

import sys

from _common import fresh_home, square, timed

from dflow_like import Step, Workflow
from dflow_like.python import PythonOPTemplate


def build(n: int) -> Workflow:
    wf = Workflow("fanout")
    template = PythonOPTemplate(square)
    wf.add([Step(f"s{i}", template, parameters={"x": i}) for i in range(n)])
    return wf


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    fresh_home()
    wall, steps_span, _ = timed(lambda: build(n))
    print(f"fan-out of {n} steps in one stage: wall {wall:.2f} s (incl. engine start-up)")
    print(f"  steps span {steps_span:.2f} s -> {1000 * steps_span / n:.1f} ms per step")


if __name__ == "__main__":
    main()
