"""Building, checking and compiling a workflow of these OPs needs no ASE.

The OPs import ASE (and through ``ase.io``, scipy) where they use it, so the process
that builds a workflow does not: on a laptop that submits to Argo, ASE may live only
in the image, and a local run's engine imports it once for all its steps.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

_WITHOUT_ASE = """
import sys

class NoASE:
    def find_spec(self, name, path=None, target=None):
        if name == "ase" or name.startswith("ase."):
            raise ImportError(f"{name} is not installed here")
        return None

sys.meta_path.insert(0, NoASE())
sys.path.insert(0, sys.argv[1])
import eos

wf = eos.build_workflow()
manifest = wf.to_dict()
assert not wf.lint(), wf.lint()
templates = {t["name"] for t in manifest["spec"]["templates"]}
print(len(templates), "ase" in sys.modules, "scipy" in sys.modules)
"""


def test_the_eos_workflow_builds_and_compiles_without_ase() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_ASE, str(EXAMPLES)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    count, ase_loaded, scipy_loaded = done.stdout.split()
    assert int(count) >= 5 and ase_loaded == "False" and scipy_loaded == "False"
