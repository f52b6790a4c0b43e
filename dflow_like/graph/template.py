"""The common shape of every template: a name, inputs, outputs, and run settings."""

from __future__ import annotations

import re
from typing import Any

from .io import Inputs, Outputs

__all__ = ["OPTemplate", "RetryPolicy", "caches", "kebab"]


def caches(template: Any, workflow_cache: bool) -> bool:
    """Whether ``template``'s steps are cached (``dflow_like.cache``): its own ``cache=`` wins;
    ``None`` follows the workflow's ``cache=``. Here, not in the cache package, so a submit
    can ask without importing the cache's modules."""
    own = getattr(template, "cache", None)
    return bool(workflow_cache if own is None else own)


def kebab(name: str) -> str:
    """``RunVasp`` → ``run-vasp``: a DNS-1123-friendly template name."""
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", name).lower()
    text = re.sub(r"[^a-z0-9-]+", "-", text).strip("-")
    return text or "template"


class RetryPolicy:
    """What to retry and how often; built from dflow's ``retry_on_*`` arguments."""

    def __init__(
        self,
        limit: int = 0,
        on: str = "",
        backoff_seconds: float = 0.0,
        backoff_factor: float = 2.0,
        backoff_max_seconds: float = 60.0,
    ) -> None:
        self.limit = limit
        self.on = on  # "transient" | "failure" | "error" | "failure_and_error" | ""
        self.backoff_seconds = backoff_seconds
        self.backoff_factor = backoff_factor
        self.backoff_max_seconds = backoff_max_seconds

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        if self.backoff_seconds <= 0:
            return 0.0
        return float(
            min(
                self.backoff_seconds * self.backoff_factor ** (attempt - 1),
                self.backoff_max_seconds,
            )
        )

    def __repr__(self) -> str:
        return f"RetryPolicy(limit={self.limit}, on={self.on!r})"


class OPTemplate:
    """Base of Python OP, script, ``Steps`` and ``DAG`` templates."""

    kind = "abstract"

    def __init__(
        self,
        name: str | None = None,
        inputs: Inputs | None = None,
        outputs: Outputs | None = None,
        timeout: float | None = None,
        retry_on_transient_error: int | None = None,
        retry_on_failure: int | None = None,
        retry_on_error: int | None = None,
        retry_on_failure_and_error: int | None = None,
        timeout_as_transient_error: bool = False,
        retry_backoff: float = 0.0,
        envs: dict[str, str] | None = None,
        requests: dict[str, str] | None = None,
        limits: dict[str, str] | None = None,
        image: str | None = None,
        image_pull_policy: str | None = None,
        annotations: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        node_selector: dict[str, str] | None = None,
        memoize_key: str | None = None,
        parallelism: int | None = None,
        cache: bool | None = None,
    ) -> None:
        self.name = name or ""
        self.inputs = inputs if inputs is not None else Inputs()
        self.outputs = outputs if outputs is not None else Outputs()
        self.timeout = timeout
        self.retry_on_transient_error = retry_on_transient_error
        self.retry_on_failure = retry_on_failure
        self.retry_on_error = retry_on_error
        self.retry_on_failure_and_error = retry_on_failure_and_error
        self.timeout_as_transient_error = timeout_as_transient_error
        self.retry_backoff = retry_backoff
        self.envs = dict(envs or {})
        self.requests = dict(requests or {})
        self.limits = dict(limits or {})
        self.image = image
        self.image_pull_policy = image_pull_policy
        self.annotations = dict(annotations or {})
        self.labels = dict(labels or {})
        self.node_selector = dict(node_selector or {})
        self.memoize_key = memoize_key
        self.parallelism = parallelism
        # Content-addressed step caching (``dflow_like.cache``); None: as the workflow's ``cache``.
        self.cache = cache

    @property
    def retry(self) -> RetryPolicy:
        """The one retry rule that applies (dflow allows one ``retry_on_*`` per template)."""
        for on, limit in (
            ("transient", self.retry_on_transient_error),
            ("failure", self.retry_on_failure),
            ("error", self.retry_on_error),
            ("failure_and_error", self.retry_on_failure_and_error),
        ):
            if limit:
                return RetryPolicy(int(limit), on, backoff_seconds=self.retry_backoff)
        return RetryPolicy()

    def __call__(self, **inputs: Any) -> Any:
        """Inside ``with Workflow(...)`` (or an open ``Steps``/``DAG``): a step of this template
        with these inputs (parameters and artifacts by name), added there and returned, so
        ``tmpl(x=1).outputs.parameters["y"]`` feeds other steps. Step options (``when``,
        ``with_param``, ``key``, ...) go in ``step_options``; ``name`` picks the step's name."""
        from .context import call_in_context

        options = dict(inputs.pop("step_options", None) or {})
        if "name" in inputs and "name" not in self.inputs.parameters:
            options["name"] = inputs.pop("name")
        return call_in_context(self, self.name or self.kind, inputs, options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"
