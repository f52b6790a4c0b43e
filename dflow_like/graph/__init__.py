"""Steps, Steps/DAG templates, their inputs/outputs and references: a workflow as data."""

from .dag import DAG, Task
from .errors import DefinitionError
from .io import PVC, InputArtifact, InputParameter, Inputs, OutputArtifact, OutputParameter, Outputs
from .script_templates import PythonScriptOPTemplate, ShellOPTemplate
from .step import Step
from .steps import Steps
from .template import OPTemplate

__all__ = [
    "DAG",
    "PVC",
    "DefinitionError",
    "InputArtifact",
    "InputParameter",
    "Inputs",
    "OPTemplate",
    "OutputArtifact",
    "OutputParameter",
    "Outputs",
    "PythonScriptOPTemplate",
    "ShellOPTemplate",
    "Step",
    "Steps",
    "Task",
]
