"""Input artifacts for a job whose cluster does not share this machine's files.

An input kept in local storage is an absolute path here (an upstream step's output under
``DFLOW_LIKE_HOME``, a user's ``upload_artifact``), which a remote cluster cannot open. So
before the attempt directory is copied there, each local part is copied into
``<attempt>/.dflow-inputs/<name>/<part>`` (copied, not linked: nothing stored upstream may
change), and the job's ``step.json`` names that copy's path on the cluster; the runner then
materializes its inputs from inside its own directory. dflow does the same: its
``DispatcherExecutor.render`` (``src/dflow/plugins/dispatcher.py``) lists every input
artifact's ``./tmp/inputs/artifacts/...`` in the dpdispatcher task's ``forward_files``, which
are uploaded with the job's work directory. S3 parts are left alone (the job downloads them).
The copies are not brought back (``SshTransport.get`` skips them), and the local ones are
removed once the job has ended (``SlurmStepExecutor.wait_job``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...artifacts import ArtifactRef
from ...runner.files import materialize

__all__ = ["STAGED_INPUTS", "stage_inputs"]

STAGED_INPUTS = ".dflow-inputs"  # in the attempt directory


def stage_inputs(attempt: Path, artifacts: dict[str, Any], remote_path: Callable[[str], str]) -> dict[str, Any]:
    """Copy the local parts of ``artifacts`` under ``attempt``; the artifacts as the job must see them."""
    staged: dict[str, Any] = {}
    for name, data in artifacts.items():
        if not isinstance(data, dict) or "parts" not in data:  # absent (None), or a claim ({"pvc": ...})
            staged[name] = data
            continue
        ref = ArtifactRef.from_json(data)
        parts = []
        for index, part in enumerate(ref.parts):
            if part.tree.storage == "local":
                copy = attempt / STAGED_INPUTS / name / str(index)
                materialize(ArtifactRef((part,)), copy)  # the part's own layout, copied
                part = dataclasses.replace(part, tree=dataclasses.replace(part.tree, key=remote_path(str(copy))))
            parts.append(part)
        staged[name] = dataclasses.replace(ref, parts=tuple(parts)).to_json()
    return staged
