"""A Slurm controller outage of a few minutes, ridden out by a running workflow.

    python bench/slurm_outage.py [OUTAGE_SECONDS]    (default 180)

Starts a real single-node Slurm here, stops slurmctld, submits a run with one Slurm step
and one local step, prints the Slurm step's message every 15 s while the controller is
down, starts slurmctld again and prints how the run ended. Also prints how long one
``sbatch`` takes to fail with the controller down. Needs root and Debian's slurm-wlm +
munge. A script, not a test.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import fresh_home

from dflow_like import DispatcherExecutor, Step, Workflow
from dflow_like.executor.slurm.local_cluster import LocalSlurmCluster
from dflow_like.python import OP, PythonOPTemplate


@OP.function
def tenfold(x: int) -> {"y": int}:  # type: ignore[valid-type]  # noqa: F821
    return {"y": x * 10}


def main() -> None:
    outage = float(sys.argv[1]) if len(sys.argv) > 1 else 180.0
    fresh_home()
    with LocalSlurmCluster(cpus=2) as cluster:
        cluster.stop_controller()
        t0 = time.perf_counter()
        done = cluster.run(["sbatch", "--parsable", "--wrap", "true"])
        failed = time.perf_counter() - t0
        print(f"one sbatch with the controller down fails after {failed:.1f} s: {done.stderr.strip()}")
        wf = Workflow("outage")
        executor = DispatcherExecutor(slurm_conf=str(cluster.slurm_conf))
        wf.add([
            Step("remote", PythonOPTemplate(tenfold), parameters={"x": 4}, executor=executor),
            Step("local", PythonOPTemplate(tenfold), parameters={"x": 1}),
        ])  # fmt: skip
        start = time.perf_counter()
        wf.submit()
        while time.perf_counter() - start < outage:
            time.sleep(min(15.0, max(0.0, outage - (time.perf_counter() - start))))
            remote = wf.query_step(name="remote")
            local = wf.query_step(name="local")
            print(
                f"{time.perf_counter() - start:5.0f} s: run {wf.query_status()}, local step "
                f"{local[0].phase if local else '-'}, remote step: {remote[0].message if remote else '-'}"
            )
        cluster.start_controller()
        print(f"slurmctld back after {time.perf_counter() - start:.0f} s")
        phase = wf.wait(timeout=600)
        rec = wf.query_step(name="remote")[0]
        print(
            f"run {phase} {time.perf_counter() - start:.0f} s after submission; Slurm job {rec.job_id}, "
            f"y={rec.outputs.parameters['y'].value if phase == 'Succeeded' else '-'}"
        )


if __name__ == "__main__":
    main()
