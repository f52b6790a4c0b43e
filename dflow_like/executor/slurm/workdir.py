"""``WorkdirTransport``: the SSH transport with dflow's per-step remote ``workdir`` layout.

dflow's ``SlurmRemoteExecutor(workdir="~/dflow/workflows/{{workflow.name}}/{{pod.name}}")``
(``RemoteExecutor.__init__`` in dflow ``src/dflow/executor.py``) names one remote directory
per step. Here a step's attempt directory ``<run>/steps/<node>/<attempt>`` is copied to
that directory with ``{{workflow.name}}`` → the run's id and ``{{pod.name}}`` → the step's
node id (``<run id>-<hash>``, unique like Argo's pod names), plus ``/<attempt>``. The mapping
is a pure function of the path both ways, so an engine resumed after a restart finds the
same copies. ``~`` and relative paths are resolved against the remote ``$HOME`` (dflow's
``ssh`` lands there), asked once. Paths outside the run's steps (none today) fall back to
``SshTransport``'s layout under the workdir's fixed prefix.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence

from .transport import SshTransport

__all__ = ["POD", "WORKFLOW", "WorkdirTransport", "fixed_prefix"]

WORKFLOW = "{{workflow.name}}"
POD = "{{pod.name}}"


def fixed_prefix(workdir: str) -> str:
    """The part of ``workdir`` before its first placeholder, without a trailing ``/``."""
    head = workdir.split("{{", 1)[0].rstrip("/")
    return head if head else ("/" if workdir.startswith("/") else "")


class WorkdirTransport(SshTransport):
    """``SshTransport`` whose step directories live where ``workdir`` says (module docstring)."""

    def __init__(
        self,
        workdir: str,
        run_root: str,
        run_id: str,
        host: str,
        username: str | None,
        port: int = 22,
        key_file: str | None = None,
        options: Sequence[str] = (),
        slurm_conf: str | None = None,
        password: str | None = None,
        retries: int = -1,
    ) -> None:
        self.workdir = workdir if POD in workdir else workdir.rstrip("/") + "/" + POD  # one directory per step
        self.steps_root = os.path.join(os.path.abspath(run_root), "steps")
        self.run_id = run_id
        self._home: str | None = None
        self._lock = threading.Lock()
        root = fixed_prefix(workdir) or "~"
        super().__init__(
            host,
            username,
            root,
            port=port,
            key_file=key_file,
            options=options,
            slurm_conf=slurm_conf,
            password=password,
            retries=retries,
        )

    def _absolute(self, path: str) -> str:
        """``~/x`` and ``x`` → ``$HOME/x`` on the remote host (asked once)."""
        if path.startswith("/"):
            return path
        with self._lock:
            if self._home is None:
                # one try: this runs on the engine's loop (``_prepare``), which a retry's sleeps would block
                done = self.run(["sh", "-c", 'printf %s "$HOME"'], retry=False)
                if done.returncode != 0 or not done.stdout.startswith("/"):
                    why = done.stderr.strip() or f"exit code {done.returncode}"
                    raise OSError(f"cannot find the home directory on {self.host} for workdir {self.workdir!r}: {why}")
                self._home = done.stdout.rstrip("/")
        rest = path[1:] if path.startswith("~") else "/" + path
        return self._home + rest

    def _rendered(self) -> str:
        return self._absolute(self.workdir.replace(WORKFLOW, self.run_id)).rstrip("/")

    def remote_path(self, local_path: str) -> str:
        path = os.path.abspath(local_path)
        node, sep, rest = path[len(self.steps_root) + 1 :].partition("/")
        if not path.startswith(self.steps_root + "/") or not node:
            return self._absolute(self.remote_root).rstrip("/") + path
        return self._rendered().replace(POD, node) + sep + rest

    def local_path(self, remote_path: str) -> str | None:
        head, *tail = self._rendered().split(POD)  # POD is in workdir: tail is never empty
        pattern = re.escape(head) + "(?P<pod>[^/]+)" + "(?P=pod)".join(re.escape(part) for part in tail)
        found = re.fullmatch(pattern + "(?P<rest>/.*)?", remote_path)
        if found is not None:
            return os.path.join(self.steps_root, found["pod"]) + (found["rest"] or "")
        root = self._absolute(self.remote_root).rstrip("/")
        return remote_path[len(root) :] if remote_path.startswith(root + "/") else None
