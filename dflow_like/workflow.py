"""``Workflow``: steps put together, submitted to an engine, queried while and after it runs.

The definition never imports an engine at module level: the backend is chosen at
``submit()``/query time from ``config`` (local by default, Argo when a host is set).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from ._config import blocks_on_submit
from .graph.collect import TemplateTable
from .graph.context import building, suspended
from .graph.dag import DAG, Task
from .graph.errors import DefinitionError
from .graph.keywords import check_keywords
from .graph.step import Step, parameter_text
from .graph.steps import Steps
from .graph.template import OPTemplate
from .graph.validate import check_workflow
from .records import StepRecord

if TYPE_CHECKING:
    from .engine.backend import Backend, GlobalOutputs
    from .engine.step_filter import Criterion

__all__ = ["Workflow", "list_workflows"]


# dflow's Workflow arguments that have no effect here (accepted so dflow programs run).
_DFLOW_WORKFLOW_ONLY = (
    "namespace", "uid", "host", "token", "k8s_config_file", "k8s_api_server", "context",
    "image_pull_secrets", "artifact_repo_key",
)  # fmt: skip


class Workflow:
    """A workflow run: build it with ``add``, run it with ``submit``, then query it.

    ``Workflow(id=...)`` reattaches to an existing run from any process. ``cache=True``
    skips every step whose code, settings and inputs match an earlier succeeded step
    (a template's own ``cache=`` wins; see ``dflow_like.cache``).
    """

    def __init__(
        self,
        name: str = "workflow",
        steps: Steps | None = None,
        dag: DAG | None = None,
        id: str | None = None,
        parallelism: int | None = None,
        parameters: dict[str, Any] | None = None,
        on_exit: OPTemplate | None = None,
        annotations: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
        ttl_seconds_after_finished: int | None = None,
        pod_gc_strategy: str | None = None,
        cache: bool = False,
        **kwargs: object,
    ) -> None:
        if steps is not None and dag is not None:
            raise DefinitionError(f"workflow {name!r}: give either steps= or dag=, not both")
        self.name = name
        self.entrypoint: OPTemplate = steps if steps is not None else dag if dag is not None else Steps(name)
        self._implicit_entrypoint = steps is None and dag is None  # add() may still make it a DAG
        self.parallelism = parallelism
        self.parameters = {k: parameter_text(v) for k, v in (parameters or {}).items()}
        self.on_exit = on_exit
        self.annotations = dict(annotations or {})
        self.labels = dict(labels or {})
        self.ttl_seconds_after_finished = ttl_seconds_after_finished
        self.pod_gc_strategy = pod_gc_strategy
        self.cache = cache  # every leaf template caches unless it says cache=False (dflow_like.cache)
        self.extra = check_keywords(f"workflow {name!r}", kwargs, [Workflow.__init__], _DFLOW_WORKFLOW_ONLY)
        self.id = id
        self._backend_obj: Backend | None = None
        if id is not None:
            self.name = id.rsplit("-", 1)[0] if "-" in id else id

    # --- building ------------------------------------------------------------------------
    def add(self, step: Step | list[Step]) -> None:
        """Append a step (or a list: a parallel stage) to the entrypoint ``Steps``/``DAG``.

        Without ``steps=``/``dag=``, the first ``add`` decides the entrypoint's kind as in
        dflow's ``Workflow.add``: a ``Task`` (or a list of them) makes it a ``DAG``, anything
        else a ``Steps``. (dflow names them ``<name>-dag``/``<name>-steps``; ours keep the
        workflow's name, as the implicit ``Steps`` always has.) Only before ``submit()``:
        the engine runs the workflow as it was then.
        """
        if self.id is not None:
            raise RuntimeError(
                f"workflow {self.name!r} was already submitted (id {self.id!r}): a step added now would "
                "never run; add every step before submit(), or build a new Workflow"
            )
        added = step if isinstance(step, (list, tuple)) else [step]
        if self._implicit_entrypoint and added:
            self._implicit_entrypoint = False
            if all(isinstance(t, Task) for t in added):
                self.entrypoint = DAG(self.name)
        entry = self.entrypoint
        if isinstance(entry, (Steps, DAG)):
            entry.add(step)  # type: ignore[arg-type]
        else:
            raise DefinitionError(f"workflow {self.name!r}: cannot add steps to a {type(entry).__name__} entrypoint")

    def __enter__(self) -> Workflow:
        """dflow's context style: steps created in the block (also by calling an ``@OP.function``
        or a template) are added to this workflow, which is submitted when the block ends
        (dflow's ``Workflow.__exit__``; unlike dflow, not when the block raised)."""
        self._building = building(self)
        self._building.__enter__()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.__dict__.pop("_building").__exit__(exc_type, exc, tb)
        if exc_type is None:
            self.submit()

    def templates(self) -> TemplateTable:
        return TemplateTable(self.entrypoint, self.on_exit)

    def validate(self) -> TemplateTable:
        """Check the whole workflow; raise ``DefinitionError`` listing every problem."""
        table = self.templates()
        check_workflow(self.name, table)
        return table

    # --- engine choice -------------------------------------------------------------------
    def _backend(self) -> Backend:
        """The engine this workflow runs on: local unless ``config["host"]`` names an Argo Server."""
        if self._backend_obj is None:
            from .engine.backend import current_backend

            self._backend_obj = current_backend()
        return self._backend_obj

    def _require_id(self) -> str:
        if self.id is None:
            raise RuntimeError(f"workflow {self.name!r} has not been submitted")
        return self.id

    # --- running -------------------------------------------------------------------------
    def submit(self, reuse_step: list[StepRecord] | None = None, **kwargs: object) -> str:
        """Validate, start the run, and return its id at once (it does not wait).

        A ``Workflow`` runs once: a second ``submit()`` raises instead of starting another
        run (``resubmit()`` on Argo, or a new ``Workflow``, starts a fresh one).

        In dflow's debug mode (``config["mode"] = "debug"`` or ``DFLOW_MODE=debug``) it
        returns only after the run has ended, as dflow's ``Workflow.submit`` runs the
        workflow in place there (unless ``config["detach"]``); like dflow, a failed run
        does not raise: query its status.
        """
        if self.id is not None:
            raise RuntimeError(
                f"workflow {self.name!r} was already submitted (id {self.id!r}); to run it again, "
                "build a new Workflow (or resume() this run to finish its failed steps)"
            )
        with suspended():  # steps made while validating/compiling are internal
            self.validate()
            self.id = self._backend().submit(self, list(reuse_step or []))
        if blocks_on_submit():
            self._backend().wait(self.id, None)
        return self.id

    def wait(self, timeout: float | None = None, interval: float | None = None, progress: bool = False) -> str:
        """Block until the run finishes (or ``timeout`` seconds pass); returns the final phase.

        ``progress=True`` shows a live progress display in the terminal meanwhile (``view/terminal.py``).
        """
        try:
            if progress:
                from .view.terminal import wait_with_progress

                self._require_id()
                return wait_with_progress(self, timeout)
            phase = str(self._backend().wait(self._require_id(), timeout))
        except KeyboardInterrupt:  # Ctrl-C stops the waiting, not the run: say how to stop that
            print(
                f"stopped waiting for workflow {self.id}, which goes on: "
                f"'dflow-like terminate {self.id}' (or terminate()) stops it",
                file=sys.stderr,
            )
            raise
        watching = getattr(self, "_watch", None)
        if watching is not None:  # a notebook watch(): let it draw the final state
            watching.join(timeout=5.0)
        return phase

    def query_status(self) -> str:
        """``Pending``, ``Running``, ``Succeeded``, ``Failed`` or ``Error``."""
        if self.id is None:
            return "Pending"
        return str(self._backend().status(self.id)[0])

    def query_message(self) -> str:
        """Why the run is where it is, in one line; ``""`` while it runs well and after success.

        A failed run names the steps that failed it and their errors
        (``step relax failed: ValueError: ...``, or ``3 steps failed: ...``); a run whose
        engine could not start or died says so and why; a terminated one says ``terminated``.
        Each step's own message is on its record (``query_step(...)[0].message``).
        """
        return str(self._backend().status(self._require_id())[1])

    def query_step(
        self, name: Criterion = None, key: Criterion = None, phase: Criterion = None, id: Criterion = None,
        type: Criterion = None, parent_id: str | None = None, sort_by_generation: bool = False,
    ) -> list[StepRecord]:  # fmt: skip
        """Step records, filtered by one rule on every engine (``engine/step_filter.py``): each
        criterion a string or a list of them; ``name`` matches a step, its slice items
        (``name(i:item)``) and, holding a regex character, the names it fully matches."""
        from .engine.step_filter import StepFilter

        where = StepFilter.of(name, key, phase, id, type, parent_id)
        return self._backend().records(self._require_id(), where)

    def query_step_by_key(
        self, key: Criterion, name: Criterion = None, phase: Criterion = None, id: Criterion = None,
        type: Criterion = None,
    ) -> list[StepRecord]:  # fmt: skip
        return self.query_step(name=name, key=key, phase=phase, id=id, type=type)

    def query_keys_of_steps(self) -> list[str]:
        return [s.key for s in self.query_step() if s.key]

    def query_global_outputs(self) -> GlobalOutputs:
        """Outputs the run exported under a global name, as Argo does.

        Returns ``{"parameters": {global name: value text}, "artifacts": {global name:
        ArtifactRef}}``. An output is exported with
        ``PythonOPTemplate(..., output_parameter_global_name={"y": "best-y"})`` (or
        ``output_artifact_global_name``), or ``OutputParameter(global_name=...)`` on a
        ``Steps``/``DAG``/script template; when several steps export one name, the last to
        finish wins. Parameter values are the wire text (``json.loads`` for numbers and
        lists); pass an artifact to ``download_artifact``.
        """
        return self._backend().global_outputs(self._require_id())

    def terminate(self) -> None:
        """Stop the run and kill its running steps."""
        self._backend().terminate(self._require_id())

    def resume(self) -> None:
        """Finish a run whose engine died: succeeded steps are kept, the rest run again."""
        self._backend().resume(self._require_id())

    def delete(self) -> None:
        """Delete the run: from the Argo server, or (local engine) its directory with state,
        logs and step files. A local run must have ended (``terminate()`` it first)."""
        self._backend().delete(self._require_id())

    def resubmit(self) -> str:
        """Start a new run of the same manifest (Argo only); this object follows the new run."""
        self.id = self._backend().resubmit(self._require_id())
        return self.id

    def retry(self, step: str | None = None) -> None:
        """Run the failed and errored steps of a finished run again, keeping the succeeded ones.

        Argo: its retry API. Local engine: the same as ``resume()`` of a Failed/Error run.
        With ``step``, that step runs again even if it succeeded, and so do the steps whose
        inputs its new outputs change (on Argo: the steps after it, ``restartSuccessful``).
        """
        self._backend().retry(self._require_id(), step)

    # --- the Argo manifest ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The Argo ``Workflow`` manifest of this workflow (see ``engine/argo/compile``)."""
        from ._gc import young_collections_only
        from .engine.argo.compile import compile_workflow

        with suspended(), young_collections_only():  # the compiler's steps are its own; see _gc.py
            return compile_workflow(self, table=self.validate())

    def to_yaml(self) -> str:
        from .engine.argo.compile.check import to_yaml

        return to_yaml(self.to_dict())

    def lint(self) -> list[str]:
        """Problems of the Argo manifest: official schemas (v3.7, v4) and semantic lint, then
        ``warning: ...`` for Argo's size limits it exceeds (request, parameter, node count)."""
        from .engine.argo.compile.check import manifest_problems
        from .engine.argo.limits import limit_warnings

        manifest = self.to_dict()
        return manifest_problems(manifest) + limit_warnings(manifest)

    def __repr__(self) -> str:
        return f"Workflow({self.name!r}, id={self.id!r})"

    def _repr_html_(self) -> str:  # a notebook shows the live table of steps
        from ._notebook import workflow_html

        return workflow_html(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython's terminal: the same as text
        from ._notebook import workflow_text

        printer.text(repr(self) if cycle else workflow_text(self))

    def watch(self, interval: float = 0.5, timeout: float | None = None) -> Any:
        """In a notebook, refresh the run's view in place until it ends, without blocking the kernel."""
        from ._notebook import watch

        return watch(self, interval, timeout)


def list_workflows() -> list[str]:
    """Ids of the runs the current engine knows (local: every run under the home)."""
    from .engine.backend import current_backend

    return list(current_backend().list_ids())
