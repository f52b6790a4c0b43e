"""``OP``: the unit of science. Typed input and output signatures and an ``execute``."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from .checks import check_opio
from .function_op import make_function_op
from .opio import OPIO, OPIOSign

__all__ = ["OP"]

F = TypeVar("F", bound=Callable[..., Any])


def write_progress(path: str, text: str) -> None:
    partial = f"{path}.partial"
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(partial, path)


class OP:
    """Subclass it: declare ``get_input_sign``/``get_output_sign``, implement ``execute``.

    An OP is a black box: it sees its inputs (artifacts as local paths), works in its
    current directory, and returns outputs (artifacts as paths it wrote).
    """

    progress_total = 1
    progress_current = 0
    key: str | None = None
    workflow_name: str | None = None
    _progress_path: str | None = None  # where progress goes while running as a step

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setattr__(self, key: str, value: Any) -> None:
        """Setting ``progress_total``/``progress_current`` reports ``"current/total"``.

        As dflow's ``OP.__setattr__`` (``dflow/python/op.py``) writes it to Argo's
        ``ARGO_PROGRESS_FILE``; the runner points ``_progress_path`` there on Argo and into
        the step's attempt directory elsewhere. Outside a step nothing is written (dflow
        writes a file named ``ARGO_PROGRESS_FILE`` into the working directory). The file is
        replaced atomically, so a reader never sees half a value.
        """
        super().__setattr__(key, value)
        if key in ("progress_total", "progress_current"):
            path = self.__dict__.get("_progress_path")
            if path:
                write_progress(path, f"{self.progress_current}/{self.progress_total}")

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign()

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign()

    def execute(self, op_in: OPIO) -> OPIO:
        raise NotImplementedError(f"OP {type(self).__name__} does not implement execute()")

    @classmethod
    def get_opio_info(cls) -> str:
        return f"inputs: {dict(cls.get_input_sign())}\noutputs: {dict(cls.get_output_sign())}"

    @staticmethod
    def exec_sign_check(func: F) -> F:
        """Check ``execute``'s inputs and outputs against the signs (typeguard)."""

        @functools.wraps(func)
        def wrapper(self: OP, op_in: OPIO) -> OPIO:
            owner = f"OP {type(self).__name__}"
            check_opio(owner, op_in, self.get_input_sign(), is_input=True)
            op_out = func(self, op_in)
            check_opio(owner, op_out, self.get_output_sign(), is_input=False)
            return op_out  # type: ignore[no-any-return]

        wrapper.__dflow_like_checked__ = True  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    @classmethod
    def function(cls, func: Callable[..., Any] | None = None, **template_kwargs: Any) -> Any:
        """Turn an annotated function into an OP; called directly, it stays a plain function.

        Parameters become inputs (``Artifact(...)`` annotations make artifacts); the
        return annotation (dict of name→type, TypedDict, NamedTuple, or one type)
        becomes the outputs.
        """
        if func is None:
            return functools.partial(cls.function, **template_kwargs)
        return make_function_op(cls, func, template_kwargs)
