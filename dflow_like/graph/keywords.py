"""Refusing misspelled keyword arguments instead of dropping them.

Constructors that take ``**kwargs`` (for dflow's arguments that have no effect here)
would otherwise swallow a typo such as ``Step(..., continue_on_fialed=True)`` and run
without the setting. :func:`check_keywords` keeps the names dflow's own constructor
accepts and refuses anything else, naming the nearest valid name.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable
from typing import Any

from .errors import UnknownArgumentError

__all__ = ["check_keywords"]


def _named(function: Callable[..., Any]) -> list[str]:
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in inspect.signature(function).parameters.values() if p.kind in kinds and p.name != "self"]


def check_keywords(
    owner: str, kwargs: dict[str, Any], signatures: Iterable[Callable[..., Any]], dflow_only: Iterable[str] = ()
) -> dict[str, Any]:
    """``kwargs`` when each is one of ``dflow_only`` or a named parameter of ``signatures``.

    ``dflow_only``: arguments dflow's constructor takes that this one accepts and keeps
    (as ``extra``) without using. Anything else raises :class:`UnknownArgumentError`.
    """
    if not kwargs:  # the usual case: no signature to read (a step's process builds its OP's signs)
        return {}
    valid = sorted({name for function in signatures for name in _named(function)} | set(dflow_only))
    for key in kwargs:
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UnknownArgumentError(
                f"{owner}: unknown keyword argument {key!r}{hint}; expected one of: {', '.join(valid)}"
            )
    return dict(kwargs)
