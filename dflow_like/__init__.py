"""dflow_like: OP-based scientific workflows, local by default, Argo and Slurm when asked.

A dflow program runs after renaming its imports (``dflow`` → ``dflow_like``).
"""

from typing import TYPE_CHECKING, Any

from ._config import config, s3_config, set_config, set_s3_config
from ._transfer import download_artifact, upload_artifact
from .artifacts import ArtifactRef
from .executor import DispatcherExecutor, SlurmJobTemplate, SlurmRemoteExecutor
from .expr import (
    argo_concat,
    argo_enumerate,
    argo_len,
    argo_range,
    argo_sequence,
    argo_sum,
    if_expression,
)
from .graph import (
    DAG,
    PVC,
    DefinitionError,
    InputArtifact,
    InputParameter,
    Inputs,
    OPTemplate,
    OutputArtifact,
    OutputParameter,
    Outputs,
    PythonScriptOPTemplate,
    ShellOPTemplate,
    Step,
    Steps,
    Task,
)
from .records import StepRecord
from .workflow import Workflow, list_workflows

__all__ = [
    "DAG",
    "PVC",
    "ArtifactRef",
    "DefinitionError",
    "DispatcherExecutor",
    "InputArtifact",
    "InputParameter",
    "Inputs",
    "OPTemplate",
    "OutputArtifact",
    "OutputParameter",
    "Outputs",
    "PythonScriptOPTemplate",
    "ShellOPTemplate",
    "SlurmJobTemplate",
    "SlurmRemoteExecutor",
    "Step",
    "StepRecord",
    "Steps",
    "Task",
    "Workflow",
    "argo_concat",
    "argo_enumerate",
    "argo_len",
    "argo_range",
    "argo_sequence",
    "argo_sum",
    "config",
    "copy_artifact",
    "download_artifact",
    "if_expression",
    "list_workflows",
    "path_list_of_artifact",
    "path_object_of_artifact",
    "randstr",
    "s3_config",
    "set_config",
    "set_s3_config",
    "upload_artifact",
]

if TYPE_CHECKING:
    from .utils import copy_artifact, path_list_of_artifact, path_object_of_artifact, randstr

_FROM_UTILS = ("copy_artifact", "path_list_of_artifact", "path_object_of_artifact", "randstr")


def __getattr__(name: str) -> Any:
    """dflow's helpers it exports at top level, loaded from ``utils`` on first use."""
    if name in _FROM_UTILS:
        from . import utils

        return getattr(utils, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
