"""Executors: where a step's runner runs. ``DispatcherExecutor`` and dflow's ``SlurmRemoteExecutor``
describe a Slurm target; ``SlurmJobTemplate`` (dflow's Kubernetes wlm-operator path) is refused at submit."""

from .dispatcher import DispatcherExecutor
from .slurm_job_template import SlurmJobTemplate
from .slurm_remote import SlurmRemoteExecutor

__all__ = ["DispatcherExecutor", "SlurmJobTemplate", "SlurmRemoteExecutor"]
