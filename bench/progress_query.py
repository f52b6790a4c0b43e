"""What step progress adds to a query: ``fill_progress`` over a 10,000-item fan-out's records.

Ended pods carry their progress in the state; only running pods read their progress file.
Run: python bench/progress_query.py [N]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

from dflow_like.engine.local.progress import fill_progress
from dflow_like.records import StepRecord


def records(n: int, phase: str, progress: str | None, root: str) -> list[StepRecord]:
    group = StepRecord(id="g", name="fan", workflow_id="w", type="StepGroup", phase="Running")
    pods = [
        StepRecord(id=f"p{i}", name=f"fan({i})", workflow_id="w", parent_id="g", type="Pod", phase=phase,
                   log_path=os.path.join(root, str(i), "log.txt"), progress=progress)
        for i in range(n)
    ]  # fmt: skip
    return [group, *pods]


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as root:
        for phase, progress in (("Succeeded", "1/1"), ("Running", None)):
            best = float("inf")
            for _ in range(5):
                batch = records(n, phase, progress, root)
                start = time.perf_counter()
                fill_progress(batch)
                best = min(best, time.perf_counter() - start)
            print(f"{n} {phase.lower()} pods: {best * 1000:.1f} ms ({best / n * 1e6:.2f} us per pod)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
