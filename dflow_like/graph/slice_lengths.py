"""Sliced lists given as literals must be as long as each other, known when the step is made.

The engine pairs the items of every sliced input (``engine/local/fanout.py``,
``fan_out_items``) and refuses unequal lengths when the step starts; lists written in
the program are refused here instead, before anything of the workflow runs.
"""

from __future__ import annotations

from typing import Any

from .errors import DefinitionError

__all__ = ["check_slice_lengths"]


def check_slice_lengths(owner: str, slices: Any, raw_parameters: dict[str, Any], explicit_loop: bool) -> None:
    """Refuse literal sliced lists of different lengths (the items are one per position)."""
    if explicit_loop:  # with_param/with_sequence/with_items choose the items, not the lists' lengths
        return
    lengths = {
        name: len(raw_parameters[name])
        for name in slices.input_parameter
        if isinstance(raw_parameters.get(name), (list, tuple))
    }
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"parameter {name!r} has {n}" for name, n in lengths.items())
        raise DefinitionError(f"{owner}: sliced inputs must be lists of one length (one item per position); {detail}")
