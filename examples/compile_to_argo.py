"""Compile a workflow to an Argo Workflow manifest instead of running it.

    python examples/compile_to_argo.py

Takes the main EOS job (``examples/eos.py``) and writes ``eos-workflow.yaml``: what
``submit()`` sends to an Argo server when dflow_like is pointed at one. Nothing runs.
You can ``kubectl create -f eos-workflow.yaml`` (or ``argo submit``) it yourself.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eos  # the sibling example, found from any cwd

from dflow_like import Workflow


def build_workflow() -> Workflow:
    return eos.build_workflow()


def main() -> None:
    wf = build_workflow()
    text = wf.to_yaml()
    Path("eos-workflow.yaml").write_text(text)
    manifest = yaml.safe_load(text)
    spec = manifest["spec"]
    templates = [t["name"] for t in spec["templates"]]
    print(f"{manifest['kind']} {manifest['metadata'].get('generateName', '')!r}")
    print(f"entrypoint {spec['entrypoint']!r}, {len(templates)} templates: {', '.join(templates)}")
    print(f"wrote {Path('eos-workflow.yaml').resolve()} ({len(text.splitlines())} lines)")


if __name__ == "__main__":
    main()
