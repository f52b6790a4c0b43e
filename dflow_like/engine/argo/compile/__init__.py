"""The Argo compiler: a workflow graph → an Argo ``Workflow`` manifest (plain dicts).

``compile_workflow(workflow)`` reads ``config``/``s3_config`` once (``CompileOptions``)
and builds wire data directly, one ``*_template`` function per template kind.
"""

from __future__ import annotations

from .errors import CompileError
from .options import CompileOptions, S3Options
from .workflow import compile_with_templates, compile_workflow, template_table

__all__ = [
    "CompileError",
    "CompileOptions",
    "S3Options",
    "compile_with_templates",
    "compile_workflow",
    "template_table",
]
