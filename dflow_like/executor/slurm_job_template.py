"""``SlurmJobTemplate``: dflow's wlm-operator path, importable, refused at submit.

dflow's class (``src/dflow/slurm.py``) turns a step into an Argo resource template that
creates a ``SlurmJob`` object (``wlm.sylabs.io/v1alpha1``) on Kubernetes, which Sylabs'
wlm-operator hands to the Slurm cluster behind a virtual node picked by ``node_selector``.
dflow_like runs no Kubernetes operator, and the description names no login node to reach
that cluster another way; guessing one (this machine's ``sbatch``) could run the job on the
wrong cluster. So a program that uses it imports and builds, and ``Workflow.submit()``
refuses it before anything runs, naming ``SlurmRemoteExecutor`` (same ``header``, plus the
login node) and ``DispatcherExecutor`` (this machine's ``sbatch``) instead.
"""

from __future__ import annotations

__all__ = ["SlurmJobTemplate"]


class SlurmJobTemplate:
    """dflow's arguments, kept as given; ``definition_problem`` says why it cannot run here."""

    def __init__(
        self,
        header: str = "",
        node_selector: dict[str, str] | None = None,
        prepare_image: str | None = None,
        prepare_image_pull_policy: str | None = None,
        collect_image: str | None = None,
        collect_image_pull_policy: str | None = None,
        workdir: str = "dflow/workflows/{{workflow.name}}/{{pod.name}}",
        remote_command: str | list[str] | None = None,
        docker_executable: str | None = None,
        singularity_executable: str | None = None,
        podman_executable: str | None = None,
    ) -> None:
        self.header = header
        self.node_selector = node_selector
        self.prepare_image = prepare_image
        self.prepare_image_pull_policy = prepare_image_pull_policy
        self.collect_image = collect_image
        self.collect_image_pull_policy = collect_image_pull_policy
        self.workdir = workdir
        self.remote_command = [remote_command] if isinstance(remote_command, str) else remote_command
        self.docker_executable = docker_executable
        self.singularity_executable = singularity_executable
        self.podman_executable = podman_executable

    def definition_problem(self) -> str:
        """Why a workflow using it cannot run (``graph/validate.py`` reports it at submit)."""
        return (
            "executor=SlurmJobTemplate(...) submits through the wlm-operator's SlurmJob resource "
            "on Kubernetes, which dflow_like does not run; use SlurmRemoteExecutor(host=<login "
            "node>, private_key_file=..., header=<the same header>) to submit over SSH, or "
            "DispatcherExecutor(sbatch_lines=[...]) for this machine's sbatch"
        )

    def __repr__(self) -> str:
        return f"SlurmJobTemplate(header={self.header!r}, node_selector={self.node_selector!r})"
