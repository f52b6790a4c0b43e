"""``WorkdirTransport``'s mapping of a run's step directories onto dflow's ``workdir`` and back.

dflow's ``RemoteExecutor`` (``src/dflow/executor.py``) runs each step in
``~/dflow/workflows/{{workflow.name}}/{{pod.name}}`` on the host; here that is a pure function of
the local path, both ways, so a resumed engine finds the copies of the jobs it waits for.
"""

from __future__ import annotations

import pytest

from dflow_like.executor.slurm.workdir import WorkdirTransport


def _transport(workdir: str, home: str = "/home/alice") -> WorkdirTransport:
    transport = WorkdirTransport(workdir, "/runs/wf-abc12", "wf-abc12", "login1", "alice")
    transport._home = home  # what the host would answer for $HOME
    return transport


@pytest.mark.parametrize(
    ("workdir", "remote"),
    [
        ("~/dflow/workflows/{{workflow.name}}/{{pod.name}}", "/home/alice/dflow/workflows/wf-abc12/wf-abc12-9f/2"),
        ("/data/{{pod.name}}/x", "/data/wf-abc12-9f/x/2"),
        ("/data/shared", "/data/shared/wf-abc12-9f/2"),  # no {{pod.name}}: one directory per step all the same
        ("scratch/{{workflow.name}}/{{pod.name}}", "/home/alice/scratch/wf-abc12/wf-abc12-9f/2"),
    ],
)
def test_step_directories_map_to_the_workdir_and_back(workdir: str, remote: str) -> None:
    transport = _transport(workdir)
    local = "/runs/wf-abc12/steps/wf-abc12-9f/2"
    assert transport.remote_path(local) == remote
    assert transport.remote_path(local + "/workdir/f1.txt") == remote + "/workdir/f1.txt"
    assert transport.local_path(remote) == local
    assert transport.local_path(remote + "/workdir") == local + "/workdir"
    assert transport.local_path("/elsewhere/x") is None
