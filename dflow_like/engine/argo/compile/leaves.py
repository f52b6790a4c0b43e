"""Leaf templates: a Python OP (the step runner in a pod) and a script (Argo-native).

A Python OP template becomes a ``container`` running ``python3 -c BOOT <template>``:
``BOOT`` appends the run's bundle (``/tmp/dflow_like/bundle/lib``) to ``sys.path``
(so an image with dflow_like installed uses its own) and calls
``dflow_like.runner.pod``, which finds the cloudpickled template in the bundle.
Parameters reach the pod as ``DFLOW_LIKE_PARAM_<name>`` environment variables (no
quoting problems, unlike substituting values into source text); artifacts and
outputs use Argo's paths under ``/tmp``.
"""

from __future__ import annotations

from typing import Any

from ...._values import encode_value
from ....graph.script_templates import ScriptOPTemplate
from ....python.template import PythonOPTemplate
from .artifacts import GATHER_KEY, INPUTS_DIR, OUTPUTS_DIR, PARAMS_DIR, location, output_key
from .descriptions import described
from .gathered import GATHERED_INPUT, LOOP_INPUT, POSITION_OUTPUT
from .options import CompileOptions
from .settings import leaf_settings, resources
from .thresholds import SUCCESS_OUTPUT

__all__ = ["BOOT", "BUNDLE_DIR", "PARAM_ENV", "TIMEOUT_GRACE", "python_template", "script_template"]

BUNDLE_DIR = "/tmp/dflow_like/bundle"
PARAM_ENV = "DFLOW_LIKE_PARAM_"
TIMEOUT_GRACE = 30  # seconds Argo waits beyond a timeout the runner enforces itself
BOOT = (
    "import sys; sys.path.append('" + BUNDLE_DIR + "/lib'); "
    "from dflow_like.runner.pod import main; sys.exit(main(sys.argv[1:]))"
)
PYTHON_HIDDEN = ("dflow_key", "dflow_slice", "dflow_sliced", "dflow_layouts", LOOP_INPUT, GATHERED_INPUT)
GATHER_HIDDEN = ("dflow_group", "dflow_item")


def _input_parameters(template: Any, hidden: tuple[str, ...]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for name, par in template.inputs.parameters.items():
        entry: dict[str, Any] = {"name": name}
        if par.has_value:
            entry["default"] = encode_value(par.value)
        params.append(described(entry, par.type))
    params.extend({"name": name, "default": ""} for name in hidden)
    return params


def _image(template: Any, opts: CompileOptions) -> str:
    return str(template.image or opts.image)


def _container_common(template: Any, body: dict[str, Any], opts: CompileOptions) -> None:
    policy = template.image_pull_policy or opts.image_pull_policy
    if policy:
        body["imagePullPolicy"] = policy
    res = resources(template)
    if res:
        body["resources"] = res


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _runtime_env(opts: CompileOptions) -> list[dict[str, Any]]:
    """Identity of the run, and S3 settings when credentials come from a Secret (by reference)."""
    env: list[dict[str, Any]] = [
        {"name": "DFLOW_LIKE_WORKFLOW", "value": "{{workflow.name}}"},
        {"name": "DFLOW_LIKE_POD", "value": "{{pod.name}}"},
        {"name": "DFLOW_LIKE_NODE", "value": "{{node.name}}"},  # name(i:item) in a loop: its position
    ]
    s3 = opts.s3
    if s3.mode == "secret":
        env += [
            {"name": "DFLOW_LIKE_S3_ENDPOINT", "value": s3.endpoint},
            {"name": "DFLOW_LIKE_S3_BUCKET_NAME", "value": s3.bucket},
            {"name": "DFLOW_LIKE_S3_SECURE", "value": "false" if s3.insecure else "true"},
            _secret_env("DFLOW_LIKE_S3_ACCESS_KEY", s3.secret_name, s3.access_key_key),
            _secret_env("DFLOW_LIKE_S3_SECRET_KEY", s3.secret_name, s3.secret_key_key),
        ]  # fmt: skip
    return env


def python_template(name: str, template: PythonOPTemplate, opts: CompileOptions, gather: bool) -> dict[str, Any]:
    """The pod template of a Python OP; ``gather``: the variant looped steps call."""
    hidden = PYTHON_HIDDEN + GATHER_HIDDEN if gather else PYTHON_HIDDEN
    params = _input_parameters(template, hidden)
    artifacts: list[dict[str, Any]] = [
        {"name": n, "path": f"{INPUTS_DIR}/{n}", **({"optional": True} if a.optional else {})}
        for n, a in template.inputs.artifacts.items()
    ]
    artifacts.append({"name": "dflow_bundle", "path": BUNDLE_DIR, **location(opts.key(opts.bundle_key), opts)})
    env = [{"name": f"{PARAM_ENV}{p['name']}", "value": f"{{{{inputs.parameters.{p['name']}}}}}"} for p in params]
    env += [{"name": str(k), "value": str(v)} for k, v in template.envs.items()]
    env += _runtime_env(opts)
    container: dict[str, Any] = {
        "image": _image(template, opts),
        "command": ["python3", "-c", BOOT, name],
        "env": env,
    }
    _container_common(template, container, opts)
    body: dict[str, Any] = {
        "name": name,
        "inputs": {"parameters": params, "artifacts": artifacts},
        "outputs": _python_outputs(template, opts, gather),
        "container": container,
    }
    deadline = template.timeout
    if deadline:
        # The runner in the pod times the step out itself, as the local engine does (a
        # TransientError with timeout_as_transient_error, else a failure); Argo's pod
        # deadline is a backstop. Argo kills at the deadline with exit 143, and a deadline
        # of <= 1 s left when the pod is built errors the node before it starts
        # (podBuilder.build, workflow/controller/workflowpod.go), which continueOn.failed
        # does not cover: `timeout: 2s` would never run at all.
        deadline = deadline + TIMEOUT_GRACE
    leaf_settings(template, body, deadline)
    return body


def _python_outputs(template: PythonOPTemplate, opts: CompileOptions, gather: bool) -> dict[str, Any]:
    params: list[dict[str, Any]] = []
    for n, par in template.outputs.parameters.items():
        entry: dict[str, Any] = {"name": n, "valueFrom": {"path": f"{PARAMS_DIR}/{n}"}}
        global_name = template.output_parameter_global_name.get(n) or par.global_name
        if global_name:
            entry["globalName"] = global_name
        params.append(described(entry, par.type))
    params.append({"name": "dflow_layouts", "valueFrom": {"path": f"{PARAMS_DIR}/dflow_layouts", "default": "{}"}})
    params.append({"name": SUCCESS_OUTPUT, "valueFrom": {"path": f"{PARAMS_DIR}/{SUCCESS_OUTPUT}", "default": "0"}})
    # JSON even when absent: consumers splice it into their dflow_gathered (see gathered.py)
    position = {"path": f"{PARAMS_DIR}/{POSITION_OUTPUT}", "default": "null"}
    params.append({"name": POSITION_OUTPUT, "valueFrom": position})
    artifacts: list[dict[str, Any]] = []
    for n, art in template.outputs.artifacts.items():
        archive = None if gather else art.archive
        key = opts.key(GATHER_KEY % n) if gather else output_key(n, archive, opts)
        entry = {"name": n, "path": f"{OUTPUTS_DIR}/{n}", **location(key, opts)}
        if archive is None:
            entry["archive"] = {"none": {}}
        if art.optional:
            entry["optional"] = True
        global_name = template.output_artifact_global_name.get(n) or art.global_name
        if global_name:
            entry["globalName"] = global_name
        artifacts.append(entry)
    return {"parameters": params, "artifacts": artifacts} if artifacts else {"parameters": params}


def script_template(name: str, template: ScriptOPTemplate, opts: CompileOptions) -> dict[str, Any]:
    """A shell/Python script as Argo runs it: values substituted into the source by Argo."""
    inputs: dict[str, Any] = {}
    params = _input_parameters(template, ("dflow_key",))
    inputs["parameters"] = params
    arts = [
        {"name": n, "path": a.path or f"{INPUTS_DIR}/{n}", **({"optional": True} if a.optional else {})}
        for n, a in template.inputs.artifacts.items()
    ]
    if arts:
        inputs["artifacts"] = arts
    script: dict[str, Any] = {
        "image": _image(template, opts),
        "command": list(template.command),
        "source": template.script,
    }
    if template.envs:
        script["env"] = [{"name": str(k), "value": str(v)} for k, v in template.envs.items()]
    if getattr(template, "volume_mounts", None):  # a step's own copy that uses a PVC (see pvcs.py)
        script["volumeMounts"] = list(template.volume_mounts)  # type: ignore[attr-defined]
    _container_common(template, script, opts)
    body: dict[str, Any] = {"name": name, "inputs": inputs}
    outputs = _script_outputs(template, opts)
    if outputs:
        body["outputs"] = outputs
    body["script"] = script
    # Argo enforces a script's timeout alone, from the node's start, truncated to whole
    # seconds with at least 2 left at pod creation (podBuilder.build): one more second
    # gives the script its full timeout.
    leaf_settings(template, body, template.timeout + 1 if template.timeout else None)
    return body


def _script_outputs(template: ScriptOPTemplate, opts: CompileOptions) -> dict[str, Any]:
    params: list[dict[str, Any]] = []
    for n, par in template.outputs.parameters.items():
        entry: dict[str, Any] = {"name": n}
        if par.value_from_path:
            entry["valueFrom"] = {"path": par.value_from_path}
            if "default" in par.__dict__:
                entry["valueFrom"]["default"] = encode_value(par.default)
        elif par.has_value:
            entry["value"] = encode_value(par.value)
        else:
            continue
        if par.global_name:
            entry["globalName"] = par.global_name
        params.append(described(entry, par.type))
    artifacts: list[dict[str, Any]] = []
    for n, art in template.outputs.artifacts.items():
        if not art.path:
            continue
        entry = {"name": n, "path": art.path, **location(output_key(n, art.archive, opts), opts)}
        if art.archive is None:
            entry["archive"] = {"none": {}}
        if art.optional:
            entry["optional"] = True
        if art.global_name:
            entry["globalName"] = art.global_name
        artifacts.append(entry)
    out: dict[str, Any] = {}
    if params:
        out["parameters"] = params
    if artifacts:
        out["artifacts"] = artifacts
    return out
