"""``Step``: a template bound to arguments. Arguments are normalised to template text.

A parameter argument becomes the string Argo would carry: a literal value is encoded
(``values.encode_value``), a reference becomes ``{{...}}``. Both engines then resolve
the same text with the same evaluator.
"""

from __future__ import annotations

from typing import Any

from .._values import encode_value
from ..artifacts import ArtifactRef
from ..expr import ArgoVar, ExpressionError, check_syntax, to_template
from ..python.checks import fast_accepts
from .context import register
from .errors import DefinitionError
from .io import PVC, Outputs, _Field
from .keywords import check_keywords
from .names import warn_if_argo_refuses
from .slice_lengths import check_slice_lengths
from .slice_names import check_slice_names
from .template import OPTemplate

__all__ = ["Step", "artifact_argument", "item_list", "parameter_text"]


def parameter_text(value: Any) -> str:
    """The wire/template text of a parameter argument."""
    if isinstance(value, ArgoVar):
        return to_template(value)
    return encode_value(value)


def artifact_argument(owner: str, name: str, value: Any) -> ArtifactRef | PVC | str | None:
    """A stored artifact, a claim, a ``{{...}}`` reference text, or ``None`` (optional input absent)."""
    if value is None or isinstance(value, (ArtifactRef, PVC)):
        return value
    if isinstance(value, _Field) and value.kind == "artifacts":
        return str(value)
    if isinstance(value, str) and value.startswith("{{") and value.endswith("}}"):
        return value
    raise DefinitionError(
        f"{owner}: artifact {name!r}: expected a step output artifact, a template input "
        f"artifact or the result of upload_artifact(), got {type(value).__name__} {value!r:.60}"
    )


def item_list(value: Any) -> Any:
    """A fan-out's items as a list: ``range``, tuples, generators, sets and numpy arrays
    become lists of plain values (numpy scalars → Python numbers), as dflow's
    ``Step.prepare_argo_arguments`` does with ``jsonpickle.dumps(list(with_param))``.
    References, template text and non-iterables are returned unchanged (checked later)."""
    if value is None or isinstance(value, (ArgoVar, str, bytes, dict)) or not hasattr(value, "__iter__"):
        return value
    if hasattr(value, "tolist"):  # a numpy array: nested lists of Python scalars
        return value.tolist()
    return [v.tolist() if hasattr(v, "tolist") and not isinstance(v, (list, tuple)) else v for v in value]


def _check_literal(step: Step, name: str, value: Any, expected: Any, sliced: bool) -> None:
    if isinstance(value, (ArgoVar, str)) and (isinstance(value, ArgoVar) or "{{" in value):
        return
    if sliced:
        if not isinstance(value, (list, tuple)):
            raise DefinitionError(
                f"{step.owner}: parameter {name!r} is sliced, so it must be a list; "
                f"got {type(value).__name__} {value!r:.60}"
            )
        for index, item in enumerate(value):  # each item is one input of the OP: checked now, not in its pod
            if not _templated(item) and not _accepts(item, expected):
                raise DefinitionError(
                    f"{step.owner}: parameter {name!r} is sliced and its item {index} should be "
                    f"{_type_name(expected)}; got {type(item).__name__} {item!r:.60}"
                )
        return
    if not _accepts(value, expected):
        raise DefinitionError(
            f"{step.owner}: parameter {name!r}: expected {_type_name(expected)}, "
            f"got {type(value).__name__} {value!r:.60}"
        )


def _templated(value: Any) -> bool:
    return isinstance(value, ArgoVar) or (isinstance(value, str) and "{{" in value)


def _type_name(expected: Any) -> str:
    return str(getattr(expected, "__name__", expected))


def _accepts(value: Any, expected: Any) -> bool:
    """Whether the OP's input check (typeguard, all items) would take ``value`` as ``expected``."""
    if expected is None or fast_accepts(value, expected):
        return True
    from typeguard import CollectionCheckStrategy, TypeCheckError, check_type  # ~40 ms: only when needed

    try:
        check_type(value, expected, collection_check_strategy=CollectionCheckStrategy.ALL_ITEMS)
    except TypeCheckError:
        return False
    return True


_NOT_SLICED: frozenset[str] = frozenset()

# dflow's Step arguments that have no effect here (accepted so dflow programs run).
_DFLOW_STEP_ONLY = (
    "use_resource", "util_image", "util_image_pull_policy", "util_command",
    "success_hook", "running_hook", "failure_hook",
)  # fmt: skip


class Step:
    """A template bound to its inputs: one step of a ``Steps``, ``Workflow`` or (as ``Task``) ``DAG``.

    ::

        a = Step("square", PythonOPTemplate(Square), parameters={"x": 3})
        b = Step("double", PythonOPTemplate(Double), parameters={"x": a.outputs.parameters["y"]})
        wf.add(a); wf.add(b)  # two stages: b runs after a, on its output

    Args:
        name: the step's name, unique among its siblings (letters, digits and ``-`` are
            safe on Argo); slice items are named ``name(i:item)``.
        template: what runs: ``PythonOPTemplate``, ``ShellOPTemplate``/``PythonScriptOPTemplate``,
            or a ``Steps``/``DAG`` (a sub-workflow).
        parameters: ``{input name: value}``; a value is a Python value (checked against the
            template's declared type), another step's ``outputs.parameters[...]``, an
            ``inputs.parameters[...]`` of the enclosing template, or ``"{{...}}"`` text.
        artifacts: ``{input name: files}``: another step's ``outputs.artifacts[...]``, an
            enclosing template's input artifact, or ``upload_artifact(...)``'s result.
        when: run only if this Argo expression is true (e.g. ``f"{a.outputs.parameters['y']} > 5"``);
            otherwise the step is ``Skipped``.
        with_param: fan out over a JSON list (often another step's output): item ``i`` sees
            ``{{item}}``; the step's outputs become lists, in item order.
        with_sequence: fan out over ``argo_sequence(count, start, end, format)`` numbers.
        with_items: fan out over a Python list.
        continue_on_failed: a ``Failed`` step does not fail the workflow (its successors run).
        continue_on_error: the same for ``Error`` (the step could not run, or was killed).
        continue_on_num_success: a fan-out succeeds if at least this many items did.
        continue_on_success_ratio: a fan-out succeeds if at least this fraction of items did.
        key: a name for this step's result (may use ``{{item}}``), to find it with
            ``query_step(key=...)`` and reuse it with ``submit(reuse_step=[...])``.
        executor: where it runs instead of a local process, e.g. ``DispatcherExecutor(...)``
            (Slurm).
        parallelism: at most this many items of this step's fan-out run at once.
        slices: a ``Slices`` (usually given to the template instead): which inputs are lists
            sliced per item and which outputs are gathered.

    ``step.outputs.parameters[name]`` and ``step.outputs.artifacts[name]`` are references
    to its outputs for later steps' arguments; after a run, ``Workflow.query_step(name=...)``
    returns its ``StepRecord``.
    """

    is_task = False
    _outputs: Outputs | None = None  # made on first use of ``outputs``

    def __init__(
        self,
        name: str,
        template: OPTemplate,
        parameters: dict[str, Any] | None = None,
        artifacts: dict[str, Any] | None = None,
        when: Any = None,
        with_param: Any = None,
        with_sequence: Any = None,
        continue_on_failed: bool = False,
        continue_on_error: bool = False,
        continue_on_num_success: int | None = None,
        continue_on_success_ratio: float | None = None,
        key: Any = None,
        executor: Any = None,
        parallelism: int | None = None,
        slices: Any = None,
        with_items: list[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:  # the name of the owner and the signatures only when there is something to check
            owner = f"{'task' if self.is_task else 'step'} {name!r}"
            self.extra = check_keywords(owner, kwargs, [Step.__init__, type(self).__init__], _DFLOW_STEP_ONLY)
        else:
            self.extra = {}
        if isinstance(name, str):
            warn_if_argo_refuses("task" if self.is_task else "step", name, stacklevel=4 if self.is_task else 3)
        if not isinstance(template, OPTemplate):
            raise DefinitionError(
                f"step {name!r}: template: expected a template (PythonOPTemplate, ShellOPTemplate, "
                f"Steps, DAG), got {type(template).__name__}"
            )
        self.name = name
        self.template = template
        self.raw_parameters: dict[str, Any] = dict(parameters or {})
        self.when = None if when is None else to_template(when)
        self.with_param = None if with_param is None else to_template(item_list(with_param))
        self.with_sequence = with_sequence
        self.with_items = item_list(with_items)
        self.continue_on_failed = continue_on_failed
        self.continue_on_error = continue_on_error
        self.continue_on_num_success = continue_on_num_success
        self.continue_on_success_ratio = continue_on_success_ratio
        self.key = None if key is None else to_template(key)
        self.executor = executor
        self.parallelism = parallelism
        self.slices = slices if slices is not None else getattr(template, "slices", None)
        self.parameters: dict[str, str] = {}
        self.artifacts: dict[str, ArtifactRef | PVC | str | None] = {}
        if self.slices is not None:
            check_slice_names(self.owner, self.slices, template)
        self._bind_arguments(self.raw_parameters, dict(artifacts or {}))
        if self.slices is not None:
            explicit = with_param is not None or with_sequence is not None or with_items is not None
            check_slice_lengths(self.owner, self.slices, self.raw_parameters, explicit)
        for text, is_when in ((self.when, True), (self.key, False), (self.with_param, False)):
            if text is not None:
                self._check_syntax(text, is_when)
        register(self)  # inside `with Workflow()/Steps()/DAG()`: added there, as in dflow

    @property
    def outputs(self) -> Outputs:
        """References to this step's outputs, made on first use: most steps' never are, and
        making them for each of 10,000 tasks was a third of building the graph."""
        made = self._outputs
        if made is None:
            made = self._outputs = self.template.outputs.bound(self)
        return made

    @outputs.setter
    def outputs(self, value: Outputs) -> None:
        self._outputs = value

    def output_fields(self) -> Outputs:
        """The fields of this step's outputs without making references: the step's own when
        made (``pvc()`` may have changed them), else its template's."""
        made = self._outputs
        return made if made is not None else self.template.outputs

    @property
    def owner(self) -> str:
        return f"step {self.name!r} (template {self.template.name!r})"

    def _sliced_names(self) -> set[str]:
        if self.slices is None:
            return set()
        return set(self.slices.input_parameter or []) | set(self.slices.input_artifact or [])

    def _bind_arguments(self, parameters: dict[str, Any], artifacts: dict[str, Any]) -> None:
        declared_p = self.template.inputs.parameters
        declared_a = self.template.inputs.artifacts
        sliced = self._sliced_names() if self.slices is not None else _NOT_SLICED
        for pname, value in parameters.items():
            declared = declared_p.get(pname)
            if declared is None:
                known = ", ".join(declared_p) or "none"
                hint = f"; {pname!r} is an input artifact: pass it in artifacts=" if pname in declared_a else ""
                raise DefinitionError(
                    f"{self.owner}: unknown input parameter {pname!r} (the template declares: {known}){hint}"
                )
            if pname in sliced:  # a generator is consumed once: keep the list
                value = self.raw_parameters[pname] = item_list(value)
            _check_literal(self, pname, value, declared.type, pname in sliced)
            self.parameters[pname] = parameter_text(value)
        for aname, value in artifacts.items():
            if aname not in declared_a:
                known = ", ".join(declared_a) or "none"
                hint = f"; {aname!r} is an input parameter: pass it in parameters=" if aname in declared_p else ""
                raise DefinitionError(
                    f"{self.owner}: unknown input artifact {aname!r} (the template declares: {known}){hint}"
                )
            self.artifacts[aname] = artifact_argument(self.owner, aname, value)
            if isinstance(value, PVC) and getattr(self.template, "kind", "") != "script":
                raise DefinitionError(
                    f"{self.owner}: artifact {aname!r} comes from a PVC, which only script templates "
                    "(ShellOPTemplate, PythonScriptOPTemplate) can mount, as in dflow; "
                    f"got a {self.template.kind} template"
                )

    def _check_syntax(self, text: str, is_when: bool) -> None:
        try:
            check_syntax(text, when=is_when)
        except ExpressionError as exc:
            raise DefinitionError(f"{self.owner}: {exc}") from None

    def missing_inputs(self) -> list[str]:
        """Declared inputs with no argument and no default (checked before a run)."""
        missing = [
            f"parameter {n!r}"
            for n, p in self.template.inputs.parameters.items()
            if n not in self.parameters and not p.has_value
        ]
        missing += [
            f"artifact {n!r}"
            for n, a in self.template.inputs.artifacts.items()
            if n not in self.artifacts and not a.optional
        ]
        return missing

    def set_parameters(self, parameters: dict[str, Any]) -> None:
        self.raw_parameters.update(parameters)
        self._bind_arguments(parameters, {})

    def set_artifacts(self, artifacts: dict[str, Any]) -> None:
        self._bind_arguments({}, artifacts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, template={self.template.name!r})"
