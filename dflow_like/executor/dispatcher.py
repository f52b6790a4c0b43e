"""``DispatcherExecutor``: dflow's name for "run this step through an HPC scheduler".

A plain, picklable description of where and with what resources a step runs on Slurm. It does
no work itself: ``dflow_like.executor.slurm.SlurmExecutor`` reads it. dflow's arguments keep
their names, order and defaults; ours (``cpus``, ``memory``, ...) are keyword-only. dpdispatcher's
``machine_dict`` / ``resources_dict`` are translated onto ours, so a dflow program's dicts keep
working; a value given both ways must agree (a silent winner would hide a typo).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from typing import Any

__all__ = ["DispatcherExecutor", "no_sshpass"]

_MEMORY = re.compile(r"^\d+[KMGT]?$", re.IGNORECASE)
_TIME = re.compile(r"^(\d+-)?\d+(:\d+){0,2}$")
_LOCAL_CONTEXTS = {"localcontext", "lazylocalcontext", "local", "lazylocal"}
_SSH_CONTEXTS = {"sshcontext", "ssh"}


class DispatcherExecutor:
    """Run a step as a Slurm job, locally (``host=None``) or on a remote cluster over SSH.

    dflow's arguments: ``host`` (None: the ``sbatch`` on this machine, shared filesystem),
    ``queue_name`` (the Slurm partition), ``port``/``username``/``private_key_file`` (SSH),
    ``password`` (see below), ``command`` (the Python that runs the step runner; default: this
    interpreter locally, ``python3`` remotely), ``remote_root`` (where step directories are
    copied on the remote host), ``machine_dict``/``resources_dict``/``json_file``
    (dpdispatcher's format), ``merge_sliced_step`` (all slices of a step in one job),
    ``pre_script``/``post_script`` (shell run before/after the step), ``envs`` (exported in
    the job), ``clean`` (delete the remote copy once fetched), ``retry_on_submission_error``
    (times to retry a failed ``sbatch``). ``image``/``image_pull_policy`` only matter on Argo.

    Ours: ``cpus`` (per task), ``memory`` ("2G", "500M" or MB as int), ``gpus``,
    ``time_limit`` (seconds, or Slurm's "[D-]HH:MM:SS"), ``partition``, ``account``,
    ``nodes``, ``sbatch_lines`` (extra ``#SBATCH`` lines, with or without the prefix),
    ``array`` (sliced steps as one array job), ``array_parallelism`` (at most N tasks at
    once: ``--array=0-99%N``), ``group_size`` (slices per job), ``slurm_conf`` (exported as
    ``SLURM_CONF`` for sbatch/squeue/scancel), ``ssh_options`` (extra ``ssh`` arguments).

    Over SSH, a lost connection is retried for up to ``transport.OUTAGE_SECONDS`` (600 s) before
    the step fails. dflow's class has no keyword for it: dpdispatcher's ``SSHSession`` retries
    by itself (``_setup_ssh`` 6 times, ``exec_command`` 3 times, 1 s apart: ``@retry`` in
    ``dpdispatcher/contexts/ssh_context.py``), and its ``remote_profile`` has no retry key
    (its ``Machine`` ``retry_count`` resubmits failed jobs, a different thing).

    ``password`` (or ``machine_dict``'s ``remote_profile["password"]``) logs in where no key
    does: dflow hands it to dpdispatcher's ``SSHContext`` (``machine_dict["remote_profile"]``
    in dflow ``src/dflow/plugins/dispatcher.py``), which types it with paramiko. Here Debian's
    ``sshpass -e`` types it for ``ssh``/``rsync``, given through sshpass's environment only
    (``slurm/transport.py``): never on a command line, on disk, in a step's environment, a
    pickle (which holds a name; the engine gets the value through its credentials pipe,
    ``dflow_like._credentials``) or ``repr``. A key goes first when both are given, as in
    dpdispatcher (``SSHSession._setup_ssh`` tries ``auth_password`` only after the key
    failed). Without sshpass, a password and no ``private_key_file`` is refused here.
    """

    def __init__(
        self,
        host: str | None = None,
        queue_name: str | None = None,
        port: int = 22,
        username: str = "root",
        password: str | None = None,
        private_key_file: str | os.PathLike[str] | None = None,
        image: str | None = None,
        image_pull_policy: str | None = None,
        command: str | list[str] | None = None,
        remote_command: str | list[str] | None = None,
        map_tmp_dir: bool = True,
        machine_dict: dict[str, Any] | None = None,
        resources_dict: dict[str, Any] | None = None,
        task_dict: dict[str, Any] | None = None,
        json_file: str | os.PathLike[str] | None = None,
        docker_executable: str | None = None,
        singularity_executable: str | None = None,
        container_args: str = "",
        podman_executable: str | None = None,
        remote_root: str | None = None,
        retry_on_submission_error: int | None = None,
        merge_sliced_step: bool = False,
        pre_script: str = "",
        post_script: str = "",
        clean: bool = True,
        remove_scheduling_strategies: bool = True,
        envs: dict[str, str] | None = None,
        merge_bohrium_job_group: bool = False,
        terminate_grace_period: int | None = None,
        *,
        cpus: int | None = None,
        memory: str | int | None = None,
        gpus: int | None = None,
        time_limit: str | int | float | None = None,
        partition: str | None = None,
        account: str | None = None,
        nodes: int | None = None,
        sbatch_lines: list[str] | None = None,
        array: bool = False,
        array_parallelism: int | None = None,
        group_size: int | None = None,
        slurm_conf: str | os.PathLike[str] | None = None,
        ssh_options: list[str] | None = None,
    ) -> None:
        for name, value in (
            ("docker_executable", docker_executable),
            ("singularity_executable", singularity_executable),
            ("podman_executable", podman_executable),
        ):
            if value is not None:
                raise ValueError(
                    f"DispatcherExecutor({name}=...): running the step in a container on the "
                    "cluster is not supported yet; put the environment in `command`/`pre_script`"
                )
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.private_key_file = str(private_key_file) if private_key_file else None
        self.image = image
        self.image_pull_policy = image_pull_policy
        self.command = [command] if isinstance(command, str) else command
        self.remote_command = [remote_command] if isinstance(remote_command, str) else remote_command
        self.map_tmp_dir = map_tmp_dir
        self.task_dict = task_dict
        self.container_args = container_args
        self.remote_root = remote_root
        self.retry_on_submission_error = retry_on_submission_error
        self.merge_sliced_step = merge_sliced_step
        self.pre_script = pre_script
        self.post_script = post_script
        self.clean = clean
        self.remove_scheduling_strategies = remove_scheduling_strategies
        self.envs = dict(envs or {})
        self.merge_bohrium_job_group = merge_bohrium_job_group
        self.terminate_grace_period = terminate_grace_period
        self.cpus = cpus
        self.memory = _memory(memory)
        self.gpus = gpus
        self.time_limit = _time_limit(time_limit)
        self.partition = _agree("partition", partition, "queue_name", queue_name)
        self.queue_name = self.partition
        self.account = account
        self.nodes = nodes
        self.sbatch_lines = [_sbatch_line(line) for line in sbatch_lines or []]
        self.array = array
        self.array_parallelism = array_parallelism
        self.group_size = group_size
        self.slurm_conf = str(slurm_conf) if slurm_conf else None
        self.ssh_options = list(ssh_options or [])
        self.context = "ssh" if host else "local"
        machine, resources = _load_json(json_file)
        self.machine_dict = {**machine, **(machine_dict or {})}
        self.resources_dict = {**resources, **(resources_dict or {})}
        self._apply_machine(self.machine_dict)
        self._apply_resources(self.resources_dict)
        self._password_name = self._hold_password()

    @property
    def is_remote(self) -> bool:
        """True when jobs are submitted over SSH and step directories must be copied."""
        return self.context == "ssh"

    def _hold_password(self) -> str | None:
        """Hold the password in memory by name (what pickles carry); refuse it without sshpass and a key."""
        if not (self.password and self.is_remote and self.host):
            return None
        if not self.private_key_file and shutil.which("sshpass") is None:
            raise ValueError(no_sshpass(type(self).__name__))
        from .._credentials import hold_ssh_password  # not at import: dflow_like's import stays light

        return hold_ssh_password(f"{self.username}@{self.host}:{self.port}", self.password)

    def login_password(self) -> str | None:
        """The SSH password to type, or None (keys only); this process's copy when unpickled.

        Raises ``CredentialError`` when the password alone logs in and this process was not
        given it (a run resumed from a process that never constructed this executor).
        """
        if self.password:
            return self.password
        name = getattr(self, "_password_name", None)  # absent in runs pickled before passwords
        if not name:
            return None
        from .._credentials import CredentialError, ssh_password

        value = ssh_password(name)
        if value is None and not self.private_key_file:
            raise CredentialError(
                f"{type(self).__name__}(password=...) for {name.split(' ', 1)[1]}: this process was not given "
                "the password (it is never stored); construct the same executor with password=... in the "
                "process that calls resume(), before resuming"
            )
        return value

    def _set(self, name: str, value: Any, source: str) -> None:
        """Fill ``name`` from a dpdispatcher dict unless already given differently."""
        current = getattr(self, name)
        default = _DEFAULTS.get(name)
        if current in (None, default, [], {}) or current == value:
            setattr(self, name, value)
            return
        raise ValueError(f"DispatcherExecutor: {name}={current!r} disagrees with {source}={value!r}; give it once")

    def _apply_machine(self, machine: dict[str, Any]) -> None:
        batch = str(machine.get("batch_type", "Slurm"))
        if batch.lower() != "slurm":
            raise ValueError(f"DispatcherExecutor: machine_dict batch_type={batch!r}; only 'Slurm' is supported")
        context = str(machine.get("context_type", "")).lower()
        if context in _LOCAL_CONTEXTS:
            self.context = "local"
        elif context in _SSH_CONTEXTS:
            self.context = "ssh"
        elif context:
            raise ValueError(f"DispatcherExecutor: unsupported context_type={context!r}")
        if "remote_root" in machine:
            self._set("remote_root", machine["remote_root"], "machine_dict['remote_root']")
        profile = machine.get("remote_profile") or {}
        for key, name in _PROFILE_KEYS.items():
            if profile.get(key) is not None:
                self._set(name, profile[key], f"remote_profile[{key!r}]")
        if self.host and self.context == "local" and not context:
            self.context = "ssh"

    def _apply_resources(self, res: dict[str, Any]) -> None:
        for key, name in _RESOURCE_KEYS.items():
            if res.get(key) is not None:
                self._set(name, res[key], f"resources_dict[{key!r}]")
        if res.get("queue_name"):
            self.queue_name = self.partition
        self.sbatch_lines += [_sbatch_line(flag) for flag in res.get("custom_flags") or []]
        gpu_line = (res.get("kwargs") or {}).get("custom_gpu_line")
        if gpu_line:
            self.sbatch_lines.append(_sbatch_line(gpu_line))
        self.envs.update({str(k): str(v) for k, v in (res.get("envs") or {}).items()})
        self.pre_script = "\n".join(filter(None, [*_resource_prelude(res), self.pre_script]))
        append = res.get("append_script") or []
        self.post_script = "\n".join(filter(None, [self.post_script, *append]))

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the password (``_password_name`` stands for it): descriptions get stored, secrets must not."""
        state = dict(self.__dict__)
        state["password"] = None
        profile = self.machine_dict.get("remote_profile")
        if isinstance(profile, dict) and "password" in profile:
            state["machine_dict"] = {**self.machine_dict, "remote_profile": {**profile, "password": None}}
        return state

    def __repr__(self) -> str:
        shown = {k: v for k, v in self.__dict__.items() if v not in (None, [], {}, "", False)}
        if shown.get("password"):
            shown["password"] = "***"
        for key in ("machine_dict", "resources_dict", "_password_name"):
            shown.pop(key, None)
        body = ", ".join(f"{k}={v!r}" for k, v in shown.items())
        return f"{type(self).__name__}({body})"


def no_sshpass(cls: str) -> str:
    """Why a password alone cannot log in here: ``sshpass`` is not on ``PATH``."""
    return (
        f"{cls}(password=...): logging in with a password needs sshpass (it types the password for ssh "
        "and rsync), which is not installed here (not on PATH): install it (apt-get install sshpass), "
        "or give private_key_file=... (a key the host accepts: ssh-copy-id it once) or load a key into "
        "ssh-agent and drop password="
    )


_DEFAULTS: dict[str, Any] = {"port": 22, "username": "root"}
_PROFILE_KEYS = {
    "hostname": "host",
    "username": "username",
    "port": "port",
    "key_filename": "private_key_file",
    "password": "password",
}
_RESOURCE_KEYS = {
    "number_node": "nodes",
    "cpu_per_node": "cpus",
    "gpu_per_node": "gpus",
    "queue_name": "partition",
    "group_size": "group_size",
}


def _resource_prelude(res: dict[str, Any]) -> list[str]:
    """dpdispatcher's module/source lists and prepend_script, as shell lines."""
    lines: list[str] = []
    if res.get("module_purge"):
        lines.append("module purge")
    lines += [f"module unload {m}" for m in res.get("module_unload_list") or []]
    lines += [f"module load {m}" for m in res.get("module_list") or []]
    lines += [f"source {s}" for s in res.get("source_list") or []]
    lines += list(res.get("prepend_script") or [])
    return lines


def _load_json(path: str | os.PathLike[str] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    if path is None:
        return {}, {}
    with open(path, encoding="utf-8") as handle:
        conf = json.load(handle)
    return dict(conf.get("machine") or {}), dict(conf.get("resources") or {})


def _agree(name: str, value: str | None, other_name: str, other: str | None) -> str | None:
    if value and other and value != other:
        raise ValueError(f"DispatcherExecutor: {name}={value!r} but {other_name}={other!r}")
    return value or other


def _memory(value: str | int | None) -> str | None:
    """``"2G"``, ``"500m"`` or an int of megabytes → Slurm's ``--mem`` text."""
    if value is None:
        return None
    text = f"{value}M" if isinstance(value, int) else str(value).strip().upper()
    if text.endswith("B") and len(text) > 1 and text[-2] in "KMGT":
        text = text[:-1]
    if not _MEMORY.match(text):
        raise ValueError(f"DispatcherExecutor: memory={value!r}; expected e.g. '2G', '500M' or MB")
    return text


def _time_limit(value: str | int | float | None) -> str | None:
    """Seconds → ``H:MM:SS`` (Slurm counts whole minutes, so round up); strings pass checked."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        if value <= 0:
            raise ValueError(f"DispatcherExecutor: time_limit={value!r} must be positive")
        minutes = math.ceil(value / 60)
        return f"{minutes // 60}:{minutes % 60:02d}:00"
    text = value.strip()
    if text.upper() in ("UNLIMITED", "INFINITE") or _TIME.match(text):
        return text
    raise ValueError(f"DispatcherExecutor: time_limit={value!r}; expected seconds or [D-]HH:MM:SS")


def _sbatch_line(line: str) -> str:
    """Accept ``--qos=x`` or ``#SBATCH --qos=x``; store the option part."""
    text = line.strip()
    if text.upper().startswith("#SBATCH"):
        text = text[len("#SBATCH") :].strip()
    if not text or "\n" in text:
        raise ValueError(f"DispatcherExecutor: bad sbatch line {line!r}")
    return text
