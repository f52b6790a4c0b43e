"""``@OP.function``: build an OP from an annotated function."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from typing import Any, get_type_hints

from .checks import check_opio
from .opio import OPIO, Artifact, BigParameter, OPIOSign, Parameter

__all__ = ["make_function_op", "signs_from_function"]

Convert = Callable[[Any], dict[str, Any]]
Shape = Callable[[dict[str, Any]], Any]  # output references → what a call in a workflow returns


def _output_sign(ret: Any) -> tuple[OPIOSign, Convert, Shape]:
    """The output sign, how a return value becomes outputs, and the reverse for references
    (dflow's ``type2opiosign``, ``dflow/python/op.py``: its ``ret2opio`` and ``opio2ret``)."""
    if ret is None or ret is inspect.Signature.empty:
        return OPIOSign(), lambda value: {}, lambda refs: None
    if isinstance(ret, dict):
        return OPIOSign(ret), lambda value: dict(value), dict
    if isinstance(ret, type) and issubclass(ret, dict) and hasattr(ret, "__annotations__"):
        return OPIOSign(get_type_hints(ret)), lambda value: dict(value), dict
    if isinstance(ret, type) and issubclass(ret, tuple) and hasattr(ret, "_fields"):
        names = list(ret._fields)
        hints = get_type_hints(ret)
        return (
            OPIOSign({n: hints.get(n, Any) for n in names}),
            lambda v: dict(zip(names, v)),
            lambda refs: ret(*(refs[n] for n in names)),
        )
    if getattr(ret, "__origin__", None) is tuple:
        args = ret.__args__
        names = [f"dflow_output_{i}" for i in range(len(args))]
        return (
            OPIOSign(dict(zip(names, args))),
            lambda v: dict(zip(names, v)),
            lambda refs: tuple(refs[n] for n in names),
        )
    return OPIOSign({"dflow_output": ret}), lambda value: {"dflow_output": value}, lambda refs: refs["dflow_output"]


def signs_from_function(func: Callable[..., Any]) -> tuple[OPIOSign, OPIOSign, Convert, Shape]:
    """Input sign, output sign, and how to turn the return value into outputs."""
    try:  # eval_str: annotations are strings under `from __future__ import annotations`
        signature = inspect.signature(func, eval_str=True)
    except NameError as exc:
        raise TypeError(
            f"@OP.function {func.__qualname__}: cannot resolve an annotation ({exc}); "
            "types used in annotations must be importable from the function's module"
        ) from None
    inputs = OPIOSign()
    for param in signature.parameters.values():
        spec: Any = Any if param.annotation is inspect.Parameter.empty else param.annotation
        if param.default is not inspect.Parameter.empty:
            if isinstance(spec, Artifact):
                spec.optional = param.default is None
            elif isinstance(spec, (Parameter, BigParameter)):
                spec.default = param.default
            else:
                spec = Parameter(spec, default=param.default)
        inputs[param.name] = spec
    outputs, convert, shape = _output_sign(signature.return_annotation)
    return inputs, outputs, convert, shape


def make_function_op(base: type, func: Callable[..., Any], template_kwargs: dict[str, Any]) -> Any:
    """An instance of a new OP subclass whose ``execute`` calls ``func``.

    The instance is callable. Outside a workflow, ``op(x=1)`` is ``func(x=1)`` (dflow
    returns ``execute``'s OPIO there; a plain function is what the decorated code reads
    as). Inside ``with Workflow(...)`` (or an open ``Steps``/``DAG``) a call makes a step
    and returns references to its outputs shaped like the function's return annotation,
    usable as other calls' or steps' inputs (dflow's function-OP style). ``op.use(**kw)``
    passes step options (``with_param``, ``key``, ``when``, ...) to the next steps made.
    """
    input_sign, output_sign, convert, shape = signs_from_function(func)
    op_name = func.__name__

    def get_input_sign(cls: type) -> OPIOSign:
        return OPIOSign(dict(input_sign))

    def get_output_sign(cls: type) -> OPIOSign:
        return OPIOSign(dict(output_sign))

    def execute(self: Any, op_in: OPIO) -> OPIO:
        owner = f"OP {op_name}"
        check_opio(owner, op_in, input_sign, is_input=True)
        op_out = OPIO(convert(func(**op_in)))
        check_opio(owner, op_out, output_sign, is_input=False)
        return op_out

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        from ..graph.context import current_container

        if current_container() is None:
            return func(*args, **kwargs)
        return shape(_step_in_context(self, op_name, list(input_sign), args, kwargs))

    def use(self: Any, **step_kwargs: Any) -> Any:
        clone = copy.copy(self)
        clone.step_kwargs = dict(step_kwargs)
        return clone

    namespace = {
        "get_input_sign": classmethod(get_input_sign),
        "get_output_sign": classmethod(get_output_sign),
        "execute": execute,
        "__call__": call,
        "use": use,
        "step_kwargs": {},
        "func": staticmethod(func),
        "template_kwargs": dict(template_kwargs),
        "__module__": func.__module__,
        "__doc__": func.__doc__,
    }
    op_class = type(op_name, (base,), namespace)
    return op_class()


def _step_in_context(
    op: Any, op_name: str, names: list[str], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """Make the step of a call inside a workflow; its output references by name."""
    from ..graph.context import call_in_context
    from .template import PythonOPTemplate

    if len(args) > len(names):
        raise TypeError(f"{op_name}() takes {len(names)} inputs but {len(args)} were given")
    for name, value in zip(names, args):
        if name in kwargs:
            raise TypeError(f"{op_name}() got multiple values for argument {name!r}")
        kwargs[name] = value
    template = op.__dict__.get("_template")
    if template is None:  # one template per OP (and per use()), however many calls
        template = op._template = PythonOPTemplate(op, **op.template_kwargs)
    base = op_name.lower().replace("_", "-")
    step = call_in_context(template, base, kwargs, dict(op.step_kwargs))
    return {**step.outputs.parameters, **step.outputs.artifacts}
