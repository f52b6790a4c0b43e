"""``SlurmRemoteExecutor``: dflow's "run this step as a Slurm job on a login node over SSH".

dflow's class (``src/dflow/slurm.py``, built on ``RemoteExecutor`` in ``src/dflow/executor.py``)
renders an Argo pod that ssh-es to ``host``, uploads the step to ``workdir``, submits
``header`` + the step's command as ``slurm.sh`` and polls every ``interval`` seconds. Here the
same description drives dflow_like's own Slurm-over-SSH path (``DispatcherExecutor`` with a
host: ``slurm/executor.py``, ``slurm/transport.py``), so there is one implementation:

- ``header``: its ``#SBATCH`` lines before the first command become the job's directives,
  as ``sbatch`` reads a script; the lines from the first command on run before the step,
  in its directory. The ``#!`` line is dropped (the job script is bash).
- ``workdir``: where each step is copied on ``host``, ``{{workflow.name}}`` → the run's id,
  ``{{pod.name}}`` → the step's id (``slurm/workdir.py``); ``~`` is the remote home.
- ``remote_command``: the Python on the cluster that runs the step (dflow_like must be
  importable by it); default ``python3``, as dflow's default is the template's ``python3``.
- ``interval``: seconds between two ``squeue`` polls (all of the run's jobs in one call).
- ``action_retries``: retries of each upload, download and remote command after a lost
  connection, 1, 2, 4 ... 30 s apart; -1 (dflow's default, "for ever") retries for up to
  ``transport.OUTAGE_SECONDS`` (600 s), then the step fails naming the host, the action and
  the last error. dflow (``RemoteExecutor.get_script`` in ``src/dflow/executor.py``: its
  ``execute``/``upload``/``download`` shell functions) retries any non-zero exit, 1 s apart;
  here a real error (a missing file, permission denied) fails at once (``slurm/transport.py``).
  ``sbatch`` is not among these (dflow submits with its ``bin/slurm`` client, not ``execute``).

Accepted and ignored, because they describe dflow's Argo pod, which does not exist here:
``image``, ``image_pull_policy`` (the pod's image), ``command`` (the pod's shell), ``pvc``
(a Kubernetes volume claim dflow mounts for the job id file).
``map_tmp_dir`` is stored, as on ``DispatcherExecutor``: a step's ``/tmp`` is not remapped.

``password``: typed by ``sshpass``, as dflow does (``RemoteExecutor.get_script`` in
``src/dflow/executor.py`` prefixes ``ssh``/``scp`` with ``sshpass -p <password>``, on their
command line); here ``sshpass -e`` gets it through its environment only, never a command line,
and a key given too goes first (OpenSSH tries ``publickey`` before ``password``, so dflow's
``sshpass -p ... ssh -i key`` does the same). See ``DispatcherExecutor`` for where it is kept.

Refused at construction, naming the keyword: ``password`` without ``private_key_file`` when
``sshpass`` is not installed, ``docker_executable``/``singularity_executable``/``podman_executable`` (containers on the
cluster are not supported), and a ``workdir`` with placeholders other than the two above.

The host's key must be known (``~/.ssh/known_hosts``, or ``ssh_options``): dflow turns the
check off (``StrictHostKeyChecking=no`` in ``RemoteExecutor.get_script``); ``ssh_options=["-o",
"StrictHostKeyChecking=accept-new"]`` trusts a host on first contact.

Ours, keyword-only: ``slurm_conf`` (``SLURM_CONF`` for Slurm's commands on the host),
``ssh_options`` (extra ``ssh`` arguments), ``clean`` (delete the remote copy once fetched;
default False: dflow leaves ``workdir`` on the cluster).
"""

from __future__ import annotations

import os
import re
from typing import Any

from .dispatcher import DispatcherExecutor

__all__ = ["SlurmRemoteExecutor", "split_header"]

_PLACEHOLDER = re.compile(r"{{\s*([^{}]*?)\s*}}")
_KNOWN = ("workflow.name", "pod.name")
_DEFAULT_WORKDIR = "~/dflow/workflows/{{workflow.name}}/{{pod.name}}"


def split_header(header: str) -> tuple[list[str], str]:
    """(``#SBATCH`` options, shell lines): ``sbatch`` reads directives until the first command.

    Leading spaces before ``#`` are dropped first, as dflow's ``SlurmRemoteExecutor.__init__``
    does (``re.sub(" *#", "#", header)``).
    """
    lines = [line.lstrip(" ") if line.lstrip(" ").startswith("#") else line for line in header.splitlines()]
    options: list[str] = []
    for index, line in enumerate(lines):
        text = line.strip()
        if text.startswith("#SBATCH"):
            option = text[len("#SBATCH") :].strip()
            if option:
                options.append(option)
        elif text and not text.startswith("#"):
            return options, "\n".join(lines[index:]).strip("\n")
    return options, ""


def _refuse(name: str, expected: str, value: object) -> ValueError:
    return ValueError(f"SlurmRemoteExecutor({name}=...): expected {expected}, got {value!r}")


def _check_workdir(workdir: object) -> str:
    if not isinstance(workdir, str) or not workdir.strip():
        raise _refuse("workdir", f"a directory on the host, e.g. {_DEFAULT_WORKDIR!r}", workdir)
    unknown = [p for p in _PLACEHOLDER.findall(workdir) if p not in _KNOWN]
    if unknown:
        raise _refuse("workdir", "only the placeholders {{workflow.name}} and {{pod.name}}", workdir)
    if workdir.startswith("~") and not (workdir == "~" or workdir.startswith("~/")):
        raise _refuse("workdir", "'~' or '~/...' (the login user's home), not another user's '~name'", workdir)
    return _PLACEHOLDER.sub(lambda m: "{{" + m.group(1) + "}}", workdir)


class SlurmRemoteExecutor(DispatcherExecutor):
    """dflow's ``SlurmRemoteExecutor`` with its arguments; see the module docstring for each."""

    def __init__(
        self,
        host: str,
        port: int = 22,
        username: str = "root",
        password: str | None = None,
        private_key_file: str | os.PathLike[str] | None = None,
        workdir: str = _DEFAULT_WORKDIR,
        command: str | list[str] | None = None,
        remote_command: str | list[str] | None = None,
        image: str | None = None,
        image_pull_policy: str | None = None,
        map_tmp_dir: bool = True,
        docker_executable: str | None = None,
        singularity_executable: str | None = None,
        podman_executable: str | None = None,
        action_retries: int = -1,
        header: str = "",
        interval: int | float = 3,
        pvc: Any = None,
        *,
        slurm_conf: str | os.PathLike[str] | None = None,
        ssh_options: list[str] | None = None,
        clean: bool = False,
    ) -> None:
        if not isinstance(host, str) or not host.strip():
            raise _refuse("host", "the Slurm login node's host name or address", host)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise _refuse("port", "an SSH port number (1-65535)", port)
        if private_key_file is not None and not os.path.isfile(os.path.expanduser(private_key_file)):
            raise _refuse("private_key_file", "a private key file on this machine (ssh -i reads it)", private_key_file)
        for name, value in (
            ("docker_executable", docker_executable),
            ("singularity_executable", singularity_executable),
            ("podman_executable", podman_executable),
        ):
            if value is not None:
                raise _refuse(name, "None: running the step in a container on the cluster is not supported", value)
        if isinstance(action_retries, bool) or not isinstance(action_retries, int) or action_retries < -1:
            raise _refuse("action_retries", "an int >= -1 (-1: retry forever)", action_retries)
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval > 0:
            raise _refuse("interval", "seconds between Slurm queries, a number > 0", interval)
        if not isinstance(header, str):
            raise _refuse("header", "the job script's head, e.g. '#!/bin/bash\\n#SBATCH -N 1\\n'", header)
        options, prelude = split_header(header)
        super().__init__(
            host=host.strip(),
            port=port,
            username=username,
            password=password,
            private_key_file=private_key_file,
            image=image,
            image_pull_policy=image_pull_policy,
            remote_command=remote_command,
            map_tmp_dir=map_tmp_dir,
            remote_root=None,
            pre_script=prelude,
            clean=clean,
            sbatch_lines=options,
            slurm_conf=slurm_conf,
            ssh_options=ssh_options,
        )
        self.workdir = _check_workdir(workdir)
        self.header = header
        self.interval = interval
        self.action_retries = action_retries
        self.dflow_command = command  # dflow's pod command: kept for show, never run
        self.pvc = pvc
