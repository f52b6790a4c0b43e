"""The expression language shared by every engine: Argo templates and expr-lang.

Builders (``argo_range``, ``if_expression``...) emit dflow's Argo-mode expressions;
``render``/``evaluate``/``evaluate_when`` evaluate exactly that text locally, with Argo's
semantics (parameter values are wire strings).
"""

from .builders import (
    ArgoConcat,
    ArgoEnumerate,
    ArgoLen,
    ArgoRange,
    ArgoSequence,
    ArgoSum,
    IfExpression,
    argo_concat,
    argo_enumerate,
    argo_len,
    argo_range,
    argo_sequence,
    argo_sum,
    if_expression,
)
from .errors import ExpressionError
from .evaluator import evaluate
from .sequence import expand_sequence
from .templates import check_syntax, evaluate_when, render, template_references
from .variables import ArgoVar, is_parameter_reference, to_expr, to_template

__all__ = [
    "ArgoConcat",
    "ArgoEnumerate",
    "ArgoLen",
    "ArgoRange",
    "ArgoSequence",
    "ArgoSum",
    "ArgoVar",
    "ExpressionError",
    "IfExpression",
    "argo_concat",
    "argo_enumerate",
    "argo_len",
    "argo_range",
    "argo_sequence",
    "argo_sum",
    "check_syntax",
    "evaluate",
    "evaluate_when",
    "expand_sequence",
    "if_expression",
    "is_parameter_reference",
    "render",
    "template_references",
    "to_expr",
    "to_template",
]
