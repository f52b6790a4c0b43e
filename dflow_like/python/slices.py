"""``Slices``: fan one step out over lists; outputs come back gathered, in item order."""

from __future__ import annotations

from ..graph.keywords import check_keywords

__all__ = ["Slices"]


class Slices:
    """Fan one step out over lists: which inputs are sliced per item, which outputs gathered.

    ::

        template = PythonOPTemplate(Square, slices=Slices(input_parameter=["x"], output_parameter=["y"]))
        wf.add(Step("sq", template, parameters={"x": [1, 2, 3]}))  # three items, one per x
        # after the run: wf.query_step(name="sq", type="StepGroup")[0].outputs.parameters["y"].value
        # is [1, 4, 9]; each item is a record of its own, named "sq(0:0)", "sq(1:1)", ...

    Every sliced input must be a list of the same length: that length is the number of
    items. Gathered outputs come back on the step's ``StepGroup`` record in item order
    (when ``continue_on_num_success``/``_ratio`` let some items fail, a failed item's
    place in a gathered parameter is ``None``).

    Args:
        slices: the index expression an item takes, default ``"{{item}}"`` as in dflow: the
            item's value, so without ``with_param``/``with_items``/``with_sequence`` item ``i``
            gets element ``i``, and ``with_param=[3, 5]`` takes elements 3 and 5; it may
            evaluate to a list of indices (several elements per item).
        input_parameter: names of input parameters given as lists and sliced per item.
        input_artifact: names of input artifacts holding a list of files (another fan-out's
            gathered artifact, or ``upload_artifact([...])``); each item gets only its own files.
        output_parameter: output parameters gathered into a list.
        output_artifact: output artifacts gathered into one artifact holding every item's
            files; downloaded, items whose paths collide land under their position (``0/``, ``1/``...).
        sub_path: dflow's flag for slicing an input artifact by sub-path; accepted, and here an
            item always receives only its own files.
        group_size: with a Slurm executor, this many items run one after another in one job;
            on Argo, in one pod (ceil(N/group_size) pods; ``engine/argo/compile/groups.py``).
        pool_size: with ``group_size``, this many of a Slurm job's (or an Argo pod's) items run at once.
        create_dir: put every item's files under its position on download, collisions or not.
        register_first_only: dflow's lineage flag; accepted, no effect here.
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
        **kwargs: object,
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
