"""Compile a 10,000-task DAG (each task depends on up to 3 earlier ones) to an Argo manifest.

The same DAG is built and rendered with Hera (``pip install hera``, the ``bench`` extra;
bench-only, not a dependency of the package) in the same run; prints both times and the
ratio. Targets: < 1 s, >= 3x faster than Hera.

Then what a user's call costs (issue 18): building the DAG and ``Workflow.to_dict()``
(which validates), against Hera building and ``to_dict()``-ing the same DAG, at
``--tasks`` and a tenth of it, in CPU seconds (the machine may be shared), best of
``--repeat`` rounds that alternate sizes and tools so both see the same neighbours.
Targets: >= 5x faster than Hera at 10,000 tasks; growth 1k -> 10k <= 11x.

    python bench/compile.py [--tasks 10000] [--repeat 3] [--rounds 10]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from typing import Any

from dflow_like import DAG, Task, Workflow
from dflow_like.engine.argo.compile import CompileOptions, compile_workflow
from dflow_like.python import OP, OPIO, OPIOSign, PythonOPTemplate


class Square(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": int})

    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"y": op_in["x"] ** 2})


def dependencies(n: int, seed: int = 7) -> list[list[int]]:
    rng = random.Random(seed)
    return [rng.sample(range(i), min(i, rng.randint(1, 3))) if i else [] for i in range(n)]


def build_ours(deps: list[list[int]]) -> Workflow:
    template = PythonOPTemplate(Square, image="python:3.11")
    dag = DAG("main")
    tasks: list[Task] = []
    for i, parents in enumerate(deps):
        task = Task(f"t{i}", template, parameters={"x": i}, dependencies=[tasks[p] for p in parents])
        tasks.append(task)
        dag.add(task)
    return Workflow("bench", dag=dag)


def compile_ours(deps: list[list[int]]) -> dict[str, Any]:
    return compile_workflow(build_ours(deps), CompileOptions())


def compile_hera(deps: list[list[int]]) -> dict[str, Any]:
    from hera.workflows import DAG as HeraDAG
    from hera.workflows import Container, Parameter
    from hera.workflows import Task as HeraTask
    from hera.workflows import Workflow as HeraWorkflow

    with HeraWorkflow(generate_name="bench-", entrypoint="main") as w:
        square = Container(
            name="square", image="python:3.11", command=["python3", "-c"], args=["{{inputs.parameters.x}}"],
            inputs=[Parameter(name="x")],
        )  # fmt: skip
        with HeraDAG(name="main"):
            tasks: list[Any] = []
            for i, parents in enumerate(deps):
                task = HeraTask(name=f"t{i}", template=square, arguments={"x": str(i)},
                                dependencies=[tasks[p].name for p in parents] or None)  # fmt: skip
                tasks.append(task)
    result: dict[str, Any] = w.to_dict()
    return result


def best_of(fn: Callable[[list[list[int]]], dict[str, Any]], deps: list[list[int]], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(deps)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=10, help="rounds of the build + to_dict() comparison")
    args = parser.parse_args()
    deps = dependencies(args.tasks)
    manifest = compile_ours(deps)
    assert len(manifest["spec"]["templates"][0]["dag"]["tasks"]) == args.tasks
    ours = best_of(compile_ours, deps, args.repeat)
    workflow = build_ours(deps)
    only = best_of(lambda _: compile_workflow(workflow, CompileOptions()), deps, args.repeat)
    print(f"dflow_like: {args.tasks} tasks compiled to a dict in {only:.3f} s (graph already built)")
    print(f"dflow_like: {args.tasks} tasks built + compiled to a dict in {ours:.3f} s (best of {args.repeat})")
    try:
        hera = best_of(compile_hera, deps, args.repeat)
    except ImportError:
        print("hera is not installed (pip install hera): no comparison")
        return
    print(f"hera:       {args.tasks} tasks built + rendered to a dict in {hera:.3f} s (best of {args.repeat})")
    print(f"ratio:      {hera / ours:.1f}x (build + compile vs build + render)")
    print(f"ratio:      {hera / only:.1f}x (compile only vs Hera build + render)")
    user_call(args.tasks, args.rounds)


def to_dict_ours(deps: list[list[int]]) -> dict[str, Any]:
    return build_ours(deps).to_dict()  # validates, as a user's call does


def user_call(tasks: int, rounds: int) -> None:
    """Build + ``to_dict()`` against Hera's, at ``tasks // 10`` and ``tasks``: CPU seconds, best of ``rounds``."""
    from importlib.metadata import version

    sizes = [tasks // 10, tasks]
    deps = {n: dependencies(n) for n in sizes}
    best: dict[tuple[str, int], float] = {}
    for _ in range(rounds):  # alternating, so a busy moment of the machine hits every cell alike
        for n in sizes:
            for tool, fn in (("ours", to_dict_ours), ("hera", compile_hera)):
                start = time.process_time()
                fn(deps[n])
                spent = time.process_time() - start
                best[tool, n] = min(best.get((tool, n), spent), spent)
    with open("/proc/loadavg") as fh:
        load = " ".join(fh.read().split()[:3])
    print(f"build + to_dict() (validated), CPU s, best of {rounds} rounds; hera {version('hera')}; load {load}")
    for n in sizes:
        ours, hera = best["ours", n], best["hera", n]
        print(f"  {n:>6} tasks: dflow_like {ours:.4f} s, hera {hera:.4f} s, hera / dflow_like {hera / ours:.1f}x")
    small, large = sizes
    for tool in ("ours", "hera"):
        name = "dflow_like" if tool == "ours" else "hera"
        print(f"  growth {small} -> {large} tasks: {name} {best[tool, large] / best[tool, small]:.1f}x")


if __name__ == "__main__":
    main()
