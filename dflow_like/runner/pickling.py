"""Cloudpickle that keeps where the user's code came from.

cloudpickle (3.x, ``_code_reduce``) renames every code object it pickles by value to
``<dynamic-code>`` so that its bytes do not depend on where a function was defined.
Functions and OPs from a script, a notebook cell or ``python -c`` travel by value, so
a step's traceback would read ``File "<dynamic-code>", line 8``: here they keep their
file name, and the traceback points at the user's file and line.
"""

from __future__ import annotations

import io
import os
import types
from collections import ChainMap
from typing import IO, Any

import cloudpickle
from cloudpickle import cloudpickle as _impl

__all__ = ["Pickler", "dump", "dumps"]

_RENAMED = "<dynamic-code>"


def _filename(code: types.CodeType) -> str:
    """The code's file, absolute: the step runs in another directory than the caller."""
    name = code.co_filename
    return name if name.startswith("<") or os.path.isabs(name) else os.path.abspath(name)


def _code_reduce(code: types.CodeType) -> Any:
    constructor, args = _impl._code_reduce(code)
    return constructor, tuple(_filename(code) if arg == _RENAMED else arg for arg in args)


class Pickler(cloudpickle.Pickler):  # type: ignore[misc]  # untyped base
    dispatch_table = ChainMap(
        {types.CodeType: _code_reduce} if hasattr(_impl, "_code_reduce") else {},
        cloudpickle.Pickler.dispatch_table,
    )


def dump(obj: object, file: IO[bytes]) -> None:
    """``cloudpickle.dump``, with code objects keeping their ``co_filename``."""
    Pickler(file, protocol=cloudpickle.DEFAULT_PROTOCOL).dump(obj)


def dumps(obj: object) -> bytes:
    """``cloudpickle.dumps``, with code objects keeping their ``co_filename``."""
    buffer = io.BytesIO()
    dump(obj, buffer)
    return buffer.getvalue()
