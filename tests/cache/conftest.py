"""Runs a workflow script in a fresh process each time, as a user re-running it does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

# The script each run executes: it builds the workflow (``build()`` of the module named on
# the command line), submits it with cache=True (unless told not to: then only templates with
# cache=True cache), and prints which leaf steps ran.
DRIVER = """
import importlib, json, sys
sys.path.insert(0, sys.argv[1])
module = importlib.import_module(sys.argv[2])
wf = module.build()
wf.cache = sys.argv[3] == "1"
wf.submit()
phase = wf.wait()
pods = [s for s in wf.query_step() if s.type == "Pod"]
print(json.dumps({
    "phase": phase, "id": wf.id, "message": wf.query_message(),
    "ran": sorted(s.name for s in pods if not s.message.startswith("cached from")),
    "cached": {s.name: s.message for s in pods if s.message.startswith("cached from")},
}))
"""


def run_cached(folder: Path, module: str, workflow_cache: bool = True) -> dict[str, Any]:
    """Run ``module.build()`` from ``folder`` with caching; the steps that ran and those cached."""
    driver = folder / "_driver.py"
    driver.write_text(DRIVER)
    done = subprocess.run(
        [sys.executable, str(driver), str(folder), module, str(int(workflow_cache))],
        capture_output=True, text=True, timeout=300, env=dict(os.environ),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["phase"] == "Succeeded", result["message"]
    return result
