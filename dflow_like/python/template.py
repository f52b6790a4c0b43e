"""``PythonOPTemplate``: an OP wrapped with the image (tools) it needs to run."""

from __future__ import annotations

from typing import Any

from ..graph.io import (
    InputArtifact,
    InputParameter,
    Inputs,
    OutputArtifact,
    OutputParameter,
    Outputs,
)
from ..graph.keywords import check_keywords
from ..graph.template import OPTemplate, kebab
from .op import OP
from .opio import Artifact, BigParameter, field_kind
from .slices import Slices

__all__ = ["PythonOPTemplate", "upload_packages"]

# dflow's module-level list of local packages shipped to remote steps. It is part of
# the dflow API (programs append to it); nothing fills it at import time.
upload_packages: list[str] = []


def _signature_io(op_class: type[OP], output_archive: dict[str, Any]) -> tuple[Inputs, Outputs]:
    inputs, outputs = Inputs(), Outputs()
    for name, spec in op_class.get_input_sign().items():
        kind = field_kind(spec)
        if isinstance(kind, Artifact):
            inputs.artifacts[name] = InputArtifact(optional=kind.optional, type=kind.type, archive=kind.archive)
        else:
            par = InputParameter(type=kind.type)
            if kind.has_default:
                par.value = kind.default
            par.big = isinstance(kind, BigParameter)
            inputs.parameters[name] = par
    for name, spec in op_class.get_output_sign().items():
        kind = field_kind(spec)
        if isinstance(kind, Artifact):
            archive = output_archive.get(name, kind.archive)
            outputs.artifacts[name] = OutputArtifact(type=kind.type, archive=archive, optional=kind.optional)
        else:
            out = OutputParameter(type=kind.type, save_as_artifact=isinstance(kind, BigParameter))
            outputs.parameters[name] = out
    return inputs, outputs


class PythonOPTemplate(OPTemplate):
    """Runs ``op_class.execute`` through the step runner, in ``image`` on remote engines.

    dflow's ``input_*_slices``/``output_*_slices`` arguments are accepted so dflow
    programs run unchanged, but ignored: ``Slices`` says what is sliced.

    ``warm_imports`` (local engine, and Slurm jobs packing items with ``group_size``):
    the warm workers (a packed job's process) keep what this template's steps import,
    so each import is paid once per worker (job); ``False`` makes every step import in
    its own process, for libraries unsafe to ``fork()`` after import (see
    ``dflow_like.engine.local.warm_imports`` for the rule the engine applies by itself,
    ``dflow_like.runner.packed`` for Slurm).

    ``cache=True`` (an ``OPTemplate`` argument): a step is not run again when an earlier
    one of the same OP code, image, command, envs, parameter values and artifact contents
    succeeded; its outputs are reused (``dflow_like.cache``).
    """

    kind = "python"

    def __init__(
        self,
        op_class: type[OP] | OP,
        image: str | None = None,
        command: list[str] | None = None,
        output_artifact_save: dict[str, Any] | None = None,
        output_artifact_archive: dict[str, Any] | None = None,
        input_artifact_slices: dict[str, Any] | None = None,
        input_parameter_slices: dict[str, Any] | None = None,
        output_artifact_slices: dict[str, Any] | None = None,
        output_parameter_slices: dict[str, Any] | None = None,
        output_artifact_global_name: dict[str, Any] | None = None,
        output_parameter_global_name: dict[str, Any] | None = None,
        slices: Slices | None = None,
        python_packages: list[str] | None = None,
        pre_script: str = "",
        post_script: str = "",
        name: str | None = None,
        warm_imports: bool = True,
        **kwargs: Any,
    ) -> None:
        op_instance = None if isinstance(op_class, type) else op_class
        cls = op_class if isinstance(op_class, type) else type(op_class)
        if not (isinstance(cls, type) and issubclass(cls, OP)):
            raise TypeError(f"PythonOPTemplate: op_class must be an OP subclass or @OP.function, got {op_class!r}")
        owner = f"PythonOPTemplate({cls.__name__})"
        kwargs = check_keywords(owner, kwargs, [PythonOPTemplate.__init__, OPTemplate.__init__])
        super().__init__(name=name or kebab(cls.__name__), image=image, **kwargs)
        self.op_class: type[OP] = cls
        self.op_instance = op_instance
        self.command = list(command) if command else ["python3"]
        self.slices = slices
        self.python_packages = list(python_packages or [])
        self.pre_script = pre_script
        self.post_script = post_script
        self.warm_imports = warm_imports
        self.output_artifact_save = dict(output_artifact_save or {})
        self.output_artifact_global_name = dict(output_artifact_global_name or {})
        self.output_parameter_global_name = dict(output_parameter_global_name or {})
        self.inputs, self.outputs = _signature_io(cls, dict(output_artifact_archive or {}))

    def make_op(self) -> OP:
        """The OP object the runner calls ``execute`` on."""
        return self.op_instance if self.op_instance is not None else self.op_class()
