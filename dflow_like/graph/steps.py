"""``Steps``: a template made of sequential stages; a list is a stage of parallel steps."""

from __future__ import annotations

from typing import Any

from .context import building, forget_auto_added
from .io import Inputs, Outputs
from .keywords import check_keywords
from .step import Step
from .template import OPTemplate

__all__ = ["Steps"]


class Steps(OPTemplate):
    """Stages run in order; the steps of one stage run in parallel.

    A ``Steps`` can be a step's template, including its own (recursion ended by ``when``).
    """

    kind = "steps"

    def __init__(
        self,
        name: str | None = None,
        inputs: Inputs | None = None,
        outputs: Outputs | None = None,
        steps: list[Any] | None = None,
        parallelism: int | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs = check_keywords(f"Steps {name!r}", kwargs, [Steps.__init__, OPTemplate.__init__])
        super().__init__(name=name or "steps", inputs=inputs, outputs=outputs, parallelism=parallelism, **kwargs)
        self.steps: list[list[Step]] = []
        for stage in steps or []:
            self.add(stage)

    def add(self, step: Step | list[Step]) -> None:
        stage = list(step) if isinstance(step, (list, tuple)) else [step]
        for s in stage:
            forget_auto_added(s)
        self.steps.append(stage)

    def __enter__(self) -> Steps:
        """``with Steps(...) as steps:``: steps created in the block are added to it (dflow's ``Steps.__enter__``)."""
        self._building = building(self)
        self._building.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.__dict__.pop("_building").__exit__(*exc)  # not kept: templates are pickled

    def all_steps(self) -> list[Step]:
        return [s for stage in self.steps for s in stage]
