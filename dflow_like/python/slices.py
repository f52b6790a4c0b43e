"""``Slices``: fan one step out over lists; outputs come back gathered, in item order."""

from __future__ import annotations

from typing import Any

from ..graph.keywords import check_keywords

__all__ = ["Slices"]


class Slices:
    """Which inputs are sliced per item and which outputs are gathered.

    ``slices`` is the index expression (``"{{item}}"`` by default): item ``i`` gets
    ``input[eval(slices)]``. With ``sub_path=True`` each item gets only its own piece
    of a list artifact. ``group_size`` items run in one job, ``pool_size`` of them at
    once inside it.
    """

    def __init__(
        self,
        slices: str | None = None,
        input_parameter: list[str] | None = None,
        input_artifact: list[str] | None = None,
        output_parameter: list[str] | None = None,
        output_artifact: list[str] | None = None,
        sub_path: bool = False,
        group_size: int | None = None,
        pool_size: int | None = None,
        register_first_only: bool = False,
        create_dir: bool = False,
        **kwargs: Any,
    ) -> None:
        self.slices = slices
        self.input_parameter = list(input_parameter or [])
        self.input_artifact = list(input_artifact or [])
        self.output_parameter = list(output_parameter or [])
        self.output_artifact = list(output_artifact or [])
        self.sub_path = sub_path
        self.group_size = group_size
        self.pool_size = pool_size
        self.register_first_only = register_first_only
        self.create_dir = create_dir
        # dflow's Slices arguments that have no effect here are kept, anything else refused.
        self.extra = check_keywords(
            "Slices", kwargs, [Slices.__init__], ("shuffle", "random_seed", "pool_timeout", "raise_for_group")
        )
        for label, size in (("group_size", group_size), ("pool_size", pool_size)):
            if size is not None and (not isinstance(size, int) or size < 1):
                raise ValueError(f"Slices: {label} must be a positive integer, got {size!r}")

    def __repr__(self) -> str:
        fields = {k: v for k, v in vars(self).items() if v and k != "extra"}
        return f"Slices({fields})"
