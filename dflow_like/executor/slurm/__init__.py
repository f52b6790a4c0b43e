"""Run step runners as Slurm jobs: script rendering, submission, polling, a test cluster."""

from .executor import SlurmError, SlurmExecutor, SlurmSubmitError
from .states import JobState, JobStatus

__all__ = ["JobState", "JobStatus", "SlurmError", "SlurmExecutor", "SlurmSubmitError"]
