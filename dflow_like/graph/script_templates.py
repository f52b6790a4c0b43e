"""Script templates: a shell or Python script with declared inputs and outputs.

As on Argo, ``{{inputs.parameters.x}}`` and ``{{inputs.artifacts.y.path}}`` in the
script text are substituted before it runs; outputs are read from declared paths.
"""

from __future__ import annotations

from typing import Any

from .io import Inputs, Outputs
from .keywords import check_keywords
from .template import OPTemplate

__all__ = ["PythonScriptOPTemplate", "ScriptOPTemplate", "ShellOPTemplate"]


class ScriptOPTemplate(OPTemplate):
    kind = "script"
    default_command: list[str] = ["sh"]

    def __init__(
        self,
        name: str,
        image: str | None = None,
        command: list[str] | str | None = None,
        script: str = "",
        inputs: Inputs | None = None,
        outputs: Outputs | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs = check_keywords(
            f"{type(self).__name__} {name!r}", kwargs, [ScriptOPTemplate.__init__, OPTemplate.__init__]
        )
        super().__init__(name=name, inputs=inputs, outputs=outputs, image=image, **kwargs)
        if isinstance(command, str):
            command = [command]
        self.command = list(command) if command else list(self.default_command)
        self.script = script


class ShellOPTemplate(ScriptOPTemplate):
    """A shell script (``sh`` by default, like Argo's script templates)."""

    default_command = ["sh"]


class PythonScriptOPTemplate(ScriptOPTemplate):
    """A Python script run by ``python3``."""

    default_command = ["python3"]
