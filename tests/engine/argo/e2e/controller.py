"""An emulator of Argo Workflows' controller: it walks a compiled manifest as Argo v3.7/v4 does.

This is not Argo. It follows the documented semantics, rule by rule, from Argo's source
(argoproj/argo-workflows at v4.1.2, commit ``f016ad89``; the rules cited are unchanged in
substance since v3.5), and runs every pod as a real process (see :mod:`.pods`) with
artifacts in a real S3 (see :mod:`.s3repo`). The file and function of each rule:

- templates and inputs: ``executeTemplate`` (workflow/controller/operator.go) resolves the
  template, takes input parameters from the arguments or their ``default``
  (``common.ProcessArgs``), errors when one is missing, substitutes ``{{inputs.*}}``,
  ``{{workflow.*}}``, ``{{pod.name}}``;
- steps: ``executeSteps``/``executeStepGroup`` (workflow/controller/steps.go): groups run in
  order, members of a group concurrently; a group fails when a member fails unless its
  ``continueOn`` covers the phase (``hasOutputResultRef``/``continueOn`` checks in
  ``executeStepGroup``); ``when`` is rendered then evaluated by govaluate with bare words as
  strings (``shouldExecute``); a false ``when`` makes a ``Skipped`` node;
- loops: ``expandStep`` (steps.go) and ``expandTask`` (dag.go): ``withItems``, ``withParam``
  (a JSON list), ``withSequence`` (``expandSequence``, operator.go); children are named
  ``name(i:item)``; a loop with no items is one ``Skipped`` node, "Skipped, empty params"
  (``expandStepGroup``, steps.go; ``executeDAGTask``, dag.go), whose template's declared output
  parameters enter the scope as their ``valueFrom.default`` or as absent (nil), and in steps its
  output artifacts as empty placeholders (``addSkippedNodeOutputsToScope``, scope.go); an
  argument that is a pure reference to an absent output leaves the input unsupplied, so its
  default applies or the node errors (``markAbsentOptionalArgs``, scope.go; ``ProcessArgs``,
  workflow/common/util.go);
- ``{{node.name}}`` is the node's full name (``executeTemplate``, operator.go; a retried pod's is
  its Retry node's);
- aggregation: ``processAggregateNodeOutputs`` (operator.go): per output name, a JSON list
  of the *string* values of succeeded children in loop order, decoded only when every value
  is a JSON list or map (``aggregatedJSONValueList``/``tryJSONUnmarshal``);
- DAGs: ``executeDAG``/``executeDAGTask`` (dag.go): a task runs when its ``dependencies``
  completed successfully (Succeeded, Skipped, or a failure its ``continueOn`` covers);
  otherwise it is never started and the DAG fails; scope ``tasks.<name>.*``
  (``buildLocalScopeFromTask``);
- template outputs of steps/DAGs: ``valueFrom.parameter``, ``valueFrom.expression``,
  ``from``/``fromExpression`` (``getTemplateOutputsFromScope``, operator.go);
- retries: ``processNodeRetries`` (operator.go) with ``RetryStrategy.RetryPolicyActual``
  (pkg/apis/workflow/v1alpha1/workflow_types.go): ``OnFailure`` by default, ``Always`` when an
  expression is set; ``limit`` retries after the first attempt; ``expression`` evaluated with
  ``lastRetry.{exitCode,status,duration,message}`` as strings
  (``buildRetryStrategyLocalScope``); ``backoff.duration`` * ``factor``^n between attempts;
- deadlines: ``checkTemplateTimeouts``/``getTimeoutAsDeadline`` (operator.go) and
  ``podBuilder.build`` (workflowpod.go), see :mod:`.pods`;
- exit handler: ``runOnExitNode`` (workflow/controller/exit_handler.go): ``spec.onExit`` runs
  after the entrypoint with ``{{workflow.status}}``; a failed exit handler fails the workflow.

Not covered: daemons, sidecars, suspend, resource/data/HTTP/plugin templates,
``depends`` expressions beyond ``a && b`` of bare names, lifecycle hooks, synchronization,
memoization, volumes, ``activeDeadlineSeconds`` of the workflow, pod GC and TTL.
"""

from __future__ import annotations

import copy
import json
import re
import secrets as _secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from dflow_like.expr import ExpressionError, evaluate, evaluate_when, expand_sequence, render

from .images import Image
from .pods import PodResult, run_pod
from .s3repo import Repository, Secrets

__all__ = ["EmulatedArgo"]

_PARSE_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str | int | float) -> float:
    """``wfv1.ParseStringToDuration``: a bare number is seconds, else a Go duration."""
    text = str(text).strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _PARSE_DURATION.findall(text)
    if not parts or "".join(a + b for a, b in parts) != text:
        raise ValueError(f"invalid duration {text!r}")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _item_text(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        return ",".join(f"{k}:{_item_text(v)}" for k, v in sorted(item.items()))
    return json.dumps(item, separators=(",", ":"))


def aggregate(values: list[str]) -> str:
    """``aggregatedJSONValueList``: decode only when every value is a JSON list or map."""
    decoded: list[Any] = []
    for value in values:
        try:
            item = json.loads(value)
        except ValueError:
            return json.dumps(values, separators=(",", ":"))
        if not isinstance(item, (list, dict)):
            return json.dumps(values, separators=(",", ":"))
        decoded.append(item)
    return json.dumps(decoded, separators=(",", ":"))


# common.AbsentOptionalArgumentValue (workflow/common/common.go)
ABSENT = "__argo-internal.absent-optional-output__"
_PURE_REF = re.compile(r"\{\{\s*([^=}][^}]*?)\s*\}\}")


class _Failure(Exception):
    """A node error found while preparing it (Argo marks the node Error with this message)."""


class _Run:
    def __init__(self, owner: EmulatedArgo, wf: dict[str, Any]) -> None:
        self.owner = owner
        self.wf = wf
        self.name = str(wf["metadata"]["name"])
        self.spec = wf["spec"]
        self.templates = {t["name"]: t for t in self.spec.get("templates") or []}
        self.nodes: dict[str, dict[str, Any]] = {}
        self.started: dict[str, float] = {}  # node id -> monotonic start (startedAt, precisely)
        self.node_names: dict[str, str] = {}  # attempt id -> its Retry node's name ({{node.name}})
        self.lock = threading.Lock()
        self.counter = 0
        params = {
            p["name"]: str(p.get("value", "")) for p in (self.spec.get("arguments") or {}).get("parameters") or []
        }
        self.workflow_scope: dict[str, Any] = {"name": self.name, "namespace": owner.namespace, "parameters": params}
        self.global_params: list[dict[str, Any]] = []
        self.global_artifacts: list[dict[str, Any]] = []
        limit = self.spec.get("parallelism")
        self.pod_slots = threading.Semaphore(min(int(limit), owner.max_pods) if limit else owner.max_pods)
        self.dir = owner.base / self.name

    # --- nodes ------------------------------------------------------------------------
    def new_node(self, name: str, display: str, ntype: str, template: str, parent: dict[str, Any] | None,
                 boundary: str = "") -> dict[str, Any]:  # fmt: skip
        with self.lock:
            self.counter += 1
            node_id = (
                (self.name if name == self.name else f"{self.name}-onexit")
                if parent is None
                else f"{self.name}-{self.counter}"
            )
            node = {
                "id": node_id, "name": name, "displayName": display, "type": ntype, "templateName": template,
                "phase": "Running", "startedAt": _now(), "boundaryID": boundary,
            }  # fmt: skip
            self.nodes[node_id] = node
            self.started[node_id] = time.monotonic()
            if parent is not None:
                parent.setdefault("children", []).append(node_id)
        return node

    def finish(self, node: dict[str, Any], phase: str, message: str = "") -> dict[str, Any]:
        node["phase"] = phase
        if message:
            node["message"] = message
        node["finishedAt"] = _now()
        return node

    # --- entry ------------------------------------------------------------------------
    def run(self) -> None:
        status = self.wf["status"]
        entry = self.execute(self.spec["entrypoint"], self.name, self.name, {}, None, "")
        phase = entry["phase"] if entry["phase"] in ("Succeeded", "Failed", "Error") else "Failed"
        message = entry.get("message", "")
        on_exit = self.spec.get("onExit")
        if on_exit:
            self.workflow_scope["status"] = phase
            self.workflow_scope["failures"] = json.dumps(
                [{"displayName": n["displayName"], "message": n.get("message", ""), "phase": n["phase"]}
                 for n in self.nodes.values() if n["phase"] in ("Failed", "Error") and n["type"] == "Pod"]
            )  # fmt: skip
            exit_node = self.execute(on_exit, f"{self.name}.onExit", f"{self.name}.onExit", {}, None, "")
            if exit_node["phase"] != "Succeeded" and phase == "Succeeded":
                phase, message = "Failed", exit_node.get("message", "exit handler failed")
        status.update(phase=phase, finishedAt=_now())
        if message:
            status["message"] = message
        if self.global_params or self.global_artifacts:
            status["outputs"] = {"parameters": self.global_params, "artifacts": self.global_artifacts}

    # --- templates --------------------------------------------------------------------
    def execute(self, tname: str, name: str, display: str, args: dict[str, Any], parent: dict[str, Any] | None,
                boundary: str) -> dict[str, Any]:  # fmt: skip
        """``executeTemplate``: one node for template ``tname`` called with ``args``."""
        tmpl = self.templates.get(tname)
        if tmpl is None:
            node = self.new_node(name, display, "Pod", tname, parent, boundary)
            return self.finish(node, "Error", f"template {tname!r} not found")
        retry = tmpl.get("retryStrategy")
        ntype = "Retry" if retry else "Steps" if "steps" in tmpl else "DAG" if "dag" in tmpl else "Pod"
        node = self.new_node(name, display, ntype, tname, parent, boundary)
        try:
            inputs = self.inputs(tmpl, args)
        except (_Failure, ExpressionError) as exc:
            return self.finish(node, "Error", str(exc))
        node["inputs"] = inputs
        if retry:
            return self.retry_loop(tmpl, node, inputs, retry)
        return self.run_body(tmpl, node, inputs)

    def run_body(self, tmpl: dict[str, Any], node: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
        try:
            if "steps" in tmpl:
                return self.steps(tmpl, node, inputs)
            if "dag" in tmpl:
                return self.dag(tmpl, node, inputs)
            if "container" in tmpl or "script" in tmpl:
                return self.pod(tmpl, node, inputs)
            return self.finish(node, "Error", f"template {tmpl['name']!r}: kind not supported by the emulator")
        except (_Failure, ExpressionError) as exc:
            return self.finish(node, "Error", str(exc))

    def inputs(self, tmpl: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
        """``common.ProcessArgs``: argument values over defaults; artifacts from arguments."""
        given = {p["name"]: p for p in args.get("parameters") or []}
        params: list[dict[str, Any]] = []
        for par in (tmpl.get("inputs") or {}).get("parameters") or []:
            supplied = par["name"] in given and "value" in given[par["name"]]
            if supplied and given[par["name"]]["value"] == ABSENT and "default" not in par and "value" not in par:
                raise _Failure(
                    f"inputs.parameters.{par['name']}: argument references an absent optional "
                    "(skipped/omitted node output with no default)"
                )
            if "value" in par:
                value = par["value"]
            elif supplied and given[par["name"]]["value"] != ABSENT:
                value = given[par["name"]]["value"]
            elif "default" in par:
                value = par["default"]
            else:
                raise _Failure(f"inputs.parameters.{par['name']} was not supplied")
            params.append({"name": par["name"], "value": str(value), **_description(par)})
        scope = self.scope({"inputs": {"parameters": {p["name"]: p["value"] for p in params}}})
        params = [{**p, "value": render(p["value"], scope)} for p in params]
        given_arts = {a["name"]: a for a in args.get("artifacts") or []}
        arts: list[dict[str, Any]] = []
        for art in (tmpl.get("inputs") or {}).get("artifacts") or []:
            merged = dict(art)
            if art["name"] in given_arts:  # the argument takes the input's place, but its path and mode
                source = given_arts[art["name"]]
                merged = {k: v for k, v in source.items() if k not in ("from", "fromExpression")}
                merged.update({k: art[k] for k in ("name", "path", "mode", "recurseMode") if k in art})
            elif "s3" not in art and not art.get("optional"):
                raise _Failure(f"inputs.artifacts.{art['name']} was not supplied")
            arts.append(merged)
        return {"parameters": params, "artifacts": arts}

    def scope(self, local: dict[str, Any]) -> dict[str, Any]:
        return {"workflow": dict(self.workflow_scope), **local}

    # --- retries ----------------------------------------------------------------------
    def retry_loop(self, tmpl: dict[str, Any], node: dict[str, Any], inputs: dict[str, Any],
                   strategy: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
        """``processNodeRetries``."""
        limit = int(strategy["limit"]) if "limit" in strategy else None
        policy = strategy.get("retryPolicy") or ("Always" if strategy.get("expression") else "OnFailure")
        backoff = strategy.get("backoff") or {}
        attempt = 0
        while True:
            child = self.new_node(f"{node['name']}({attempt})", f"{node['displayName']}({attempt})",
                                  "Steps" if "steps" in tmpl else "DAG" if "dag" in tmpl else "Pod",
                                  tmpl["name"], node, node.get("boundaryID", ""))  # fmt: skip
            child["inputs"] = inputs
            self.node_names[child["id"]] = node["name"]
            started = time.monotonic()
            child = self.run_body(tmpl, child, inputs)
            node["outputs"] = child.get("outputs")
            phase = child["phase"]
            if phase == "Succeeded":
                return self.finish(node, "Succeeded")
            retry_failed = policy in ("Always", "OnFailure")
            retry_error = policy in ("Always", "OnError")
            if (phase == "Failed" and not retry_failed) or (phase == "Error" and not retry_error):
                return self.finish(node, phase, child.get("message", ""))
            if limit is not None and attempt + 1 > limit:
                return self.finish(node, phase, "No more retries left")
            if strategy.get("expression"):
                exit_code = (child.get("outputs") or {}).get("exitCode", "-1")
                last = {"exitCode": str(exit_code), "status": phase, "message": child.get("message", ""),
                        "duration": str(int(time.monotonic() - started))}  # fmt: skip
                if not evaluate(strategy["expression"], {"lastRetry": last}):
                    return self.finish(node, phase, "retryStrategy.expression evaluated to false")
            if backoff.get("duration"):
                factor = float(backoff.get("factor") or 1) or 1.0
                time.sleep(min(parse_duration(backoff["duration"]) * factor**attempt, 5.0))
            attempt += 1

    # --- pods -------------------------------------------------------------------------
    def pod(self, tmpl: dict[str, Any], node: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
        node["type"] = "Pod"
        with self.lock:
            self.counter += 1
            pod_name = f"{self.name}-{tmpl['name']}-{self.counter}"[:63].rstrip("-")
        params = {p["name"]: p["value"] for p in inputs["parameters"]}
        node_name = self.node_names.get(node["id"], node["name"])
        scope = self.scope({"inputs": {"parameters": params}, "pod": {"name": pod_name}, "node": {"name": node_name}})
        body = {k: v for k, v in tmpl.items() if k not in ("inputs",)}
        rendered = _render_tree(body, scope)
        rendered["inputs"] = {"artifacts": _render_tree(inputs["artifacts"], scope)}
        deadline = None
        if tmpl.get("timeout"):
            # podBuilder.build: activeDeadlineSeconds = startedAt + timeout - now, truncated to
            # whole seconds; <= 1 errors the node before any pod exists
            elapsed = time.monotonic() - self.started[node["id"]]
            remaining = int(parse_duration(rendered["timeout"]) - elapsed)
            if remaining <= 1:
                return self.finish(node, "Error", f"{node['name']} exceeded its deadline")
            deadline = float(remaining)
        container = rendered.get("container") or rendered.get("script") or {}
        image = self.owner.image(str(container.get("image", "")))
        node["hostNodeName"] = "emulator"
        with self.pod_slots:
            result: PodResult = run_pod(pod_name, rendered, image, self.dir / pod_name, self.owner.repository,
                                        self.owner.secrets, deadline)  # fmt: skip
        self.owner.logs_by_pod[pod_name] = result.log
        node["podName"] = pod_name
        outputs: dict[str, Any] = {}
        if result.parameters:
            outputs["parameters"] = result.parameters
        if result.artifacts:
            outputs["artifacts"] = result.artifacts
        if result.exit_code is not None:
            outputs["exitCode"] = str(result.exit_code)
        if outputs:
            node["outputs"] = outputs
        if result.phase == "Succeeded":
            self.export_globals(outputs)
        return self.finish(node, result.phase, result.message)

    def export_globals(self, outputs: dict[str, Any]) -> None:
        """``addParamToGlobalScope``/``addArtifactToGlobalScope``."""
        with self.lock:
            for par in outputs.get("parameters") or []:
                if par.get("globalName"):
                    self.global_params = [p for p in self.global_params if p["name"] != par["globalName"]]
                    self.global_params.append({"name": par["globalName"], "value": par["value"]})
            for art in outputs.get("artifacts") or []:
                if art.get("globalName"):
                    self.global_artifacts = [a for a in self.global_artifacts if a["name"] != art["globalName"]]
                    self.global_artifacts.append({**art, "name": art["globalName"]})

    # --- steps ------------------------------------------------------------------------
    def steps(self, tmpl: dict[str, Any], node: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
        node["type"] = "Steps"
        local = self.local_inputs(inputs)
        local["steps"] = {}
        for i, group in enumerate(tmpl["steps"]):
            gname = f"{node['name']}[{i}]"
            gnode = self.new_node(gname, f"[{i}]", "StepGroup", tmpl["name"], node, node["id"])
            scope = self.scope(local)
            calls: list[tuple[dict[str, Any], list[tuple[str, dict[str, Any], bool]]]] = []
            for step in group:
                calls.append((step, self.expand(step, scope, f"{gname}.")))
            flat = [(step, c) for step, cs in calls for c in cs]
            empty: dict[str, list[dict[str, Any]]] = {}
            for step, expanded in calls:
                if not expanded:  # expandStepGroup: one Skipped node for a loop with no items
                    skipped = self.new_node(f"{gname}.{step['name']}", step["name"], "Skipped",
                                            step.get("template", ""), gnode, node["id"])  # fmt: skip
                    empty[step["name"]] = [self.finish(skipped, "Skipped", "Skipped, empty params")]
            results = self.run_parallel(
                [lambda s=step, c=c, g=gnode: self.call(s, c, g, node["id"], local) for step, c in flat]
            )
            failed = None
            by_step: dict[str, list[dict[str, Any]]] = dict(empty)
            for (step, _), child in zip(flat, results):
                by_step.setdefault(step["name"], []).append(child)
                if child["phase"] in ("Failed", "Error") and not _continues(step, child["phase"]):
                    failed = failed or child
            for step, expanded in calls:
                children = by_step.get(step["name"], [])
                local["steps"][step["name"]] = self.step_scope(step, expanded, children, artifacts=True)
            if failed is not None:
                self.finish(gnode, failed["phase"], f"child '{failed['id']}' failed")
                return self.finish(node, failed["phase"], f"child '{failed['id']}' failed")
            self.finish(gnode, "Succeeded")
        self.template_outputs(tmpl, node, self.scope(local))
        return self.finish(node, "Succeeded")

    def local_inputs(self, inputs: dict[str, Any]) -> dict[str, Any]:
        return {"inputs": {
            "parameters": {p["name"]: p["value"] for p in inputs["parameters"]},
            "artifacts": {a["name"]: a for a in inputs["artifacts"]},
        }}  # fmt: skip

    def expand(
        self, step: dict[str, Any], scope: dict[str, Any], prefix: str
    ) -> list[tuple[str, dict[str, Any], bool]]:
        """``expandStep``: ``[(display, step with item substituted, looped)]``."""
        if "withItems" in step:
            items = list(step["withItems"])
        elif "withParam" in step:
            text = render(str(step["withParam"]), scope)
            try:
                items = json.loads(text)
            except ValueError:
                raise _Failure(f"withParam value could not be parsed as a JSON list: {text.strip()}") from None
            if not isinstance(items, list):
                raise _Failure(f"withParam value could not be parsed as a JSON list: {text.strip()}")
        elif "withSequence" in step:
            items = expand_sequence(step["withSequence"], scope)
        else:
            return [(step["name"], step, False)]
        out = []
        for i, item in enumerate(items):
            out.append((f"{step['name']}({i}:{_item_text(item)})", {**step, "_item": item}, True))
        return out

    def call(self, step: dict[str, Any], expanded: tuple[str, dict[str, Any], bool], parent: dict[str, Any],
             boundary: str, local: dict[str, Any], name_base: str | None = None) -> dict[str, Any]:  # fmt: skip
        """One (expanded) step or task: ``when``, arguments, then the template."""
        display, concrete, _ = expanded
        name = f"{name_base or parent['name']}.{display}"
        scope = self.scope(local)
        if "_item" in concrete:
            scope["item"] = concrete["_item"]
        try:
            when = concrete.get("when")
            if when and not evaluate_when(str(when), scope):
                node = self.new_node(name, display, "Skipped", concrete.get("template", ""), parent, boundary)
                rendered = render(str(when), scope)
                return self.finish(node, "Skipped", f"when '{rendered}' evaluated false")
            args = self.arguments(concrete.get("arguments") or {}, scope)
        except (_Failure, ExpressionError) as exc:
            node = self.new_node(name, display, "Pod", concrete.get("template", ""), parent, boundary)
            return self.finish(node, "Error", str(exc))
        return self.execute(concrete["template"], name, display, args, parent, boundary)

    def arguments(self, args: dict[str, Any], scope: dict[str, Any]) -> dict[str, Any]:
        params = [
            {"name": p["name"], "value": ABSENT if _absent(str(p.get("value", "")), scope) else
             render(str(p.get("value", "")), scope)} for p in args.get("parameters") or []
        ]  # fmt: skip
        arts = []
        for art in args.get("artifacts") or []:
            if "from" in art:
                arts.append({**self.artifact_ref(str(art["from"]), scope), "name": art["name"]})
            elif "fromExpression" in art:
                found = evaluate(str(art["fromExpression"]), scope)
                arts.append({**found, "name": art["name"]})
            else:
                arts.append(_render_tree(art, scope))
        return {"parameters": params, "artifacts": arts}

    def artifact_ref(self, text: str, scope: dict[str, Any]) -> dict[str, Any]:
        match = re.fullmatch(r"\{\{\s*([^}]+?)\s*\}\}", text)
        if not match:
            raise _Failure(f"artifact 'from' {text!r} is not a single reference")
        value: Any = scope
        for part in match[1].split("."):
            if not isinstance(value, dict) or part not in value:
                raise _Failure(f"unable to resolve references: {text}")
            value = value[part]
        if not isinstance(value, dict):
            raise _Failure(f"{text} is not an artifact")
        return dict(value)

    def step_scope(self, step: dict[str, Any], expanded: list[tuple[str, dict[str, Any], bool]],
                   children: list[dict[str, Any]], artifacts: bool) -> dict[str, Any]:  # fmt: skip
        """``buildLocalScope`` for one step, or ``processAggregateNodeOutputs`` for a loop."""
        looped = any(e[2] for e in expanded) or ("withItems" in step or "withParam" in step or "withSequence" in step)
        one = len(children) == 1 and (not looped or not expanded)  # a step, or an empty loop's node
        if one and children[0]["phase"] == "Skipped" and not children[0].get("outputs"):
            return self.skipped_scope(step, children[0], artifacts)
        if not looped:
            child = children[0]
            outputs = child.get("outputs") or {}
            entry: dict[str, Any] = {"status": child["phase"], "id": child["id"], "outputs": {
                "parameters": {p["name"]: p["value"] for p in outputs.get("parameters") or []},
                "artifacts": {a["name"]: a for a in outputs.get("artifacts") or []},
            }}  # fmt: skip
            if "exitCode" in outputs:
                entry["exitCode"] = outputs["exitCode"]
            return entry
        values: dict[str, list[str]] = {}
        for child in children:  # already in loop order
            if child["phase"] != "Succeeded":
                continue
            for par in (child.get("outputs") or {}).get("parameters") or []:
                values.setdefault(par["name"], []).append(par["value"])
        all_params = [
            {p["name"]: p["value"] for p in (c.get("outputs") or {}).get("parameters") or []}
            for c in children if c["phase"] == "Succeeded" and (c.get("outputs") or {}).get("parameters")
        ]  # fmt: skip
        return {"outputs": {
            "parameters": {**{k: aggregate(v) for k, v in values.items()}},
            "artifacts": {},
        }, "status": "Succeeded", "_all": json.dumps(all_params)}  # fmt: skip

    def skipped_scope(self, step: dict[str, Any], child: dict[str, Any], artifacts: bool) -> dict[str, Any]:
        """``addSkippedNodeOutputsToScope``: declared outputs of a Skipped node that made none, the
        producer's ``valueFrom.default`` or absent (``None``); in steps, empty artifact placeholders."""
        outputs = (self.templates.get(str(step.get("template", ""))) or {}).get("outputs") or {}
        params = {p["name"]: (p.get("valueFrom") or {}).get("default") for p in outputs.get("parameters") or []}
        arts = {a["name"]: {} for a in outputs.get("artifacts") or []} if artifacts else {}
        return {"status": "Skipped", "id": child["id"], "outputs": {"parameters": params, "artifacts": arts}}

    def template_outputs(self, tmpl: dict[str, Any], node: dict[str, Any], scope: dict[str, Any]) -> None:
        """``getTemplateOutputsFromScope``."""
        spec = tmpl.get("outputs") or {}
        params = []
        for par in spec.get("parameters") or []:
            source = par.get("valueFrom") or {}
            if "parameter" in source and _absent(str(source["parameter"]), scope) and "default" in source:
                value = str(source["default"])
            elif "parameter" in source and _absent(str(source["parameter"]), scope):
                raise _Failure(
                    f"output parameter {par['name']!r}: {source['parameter']!r} is an absent optional "
                    "(skipped/omitted node output with no default)"
                )  # getTemplateOutputsFromScope (operator.go)
            elif "parameter" in source:
                value = render(str(source["parameter"]), scope)
            elif "expression" in source:
                result = evaluate(str(source["expression"]), scope)
                value = result if isinstance(result, str) else json.dumps(result)
            else:
                continue
            entry = {"name": par["name"], "value": value, **_description(par)}
            if par.get("globalName"):
                entry["globalName"] = par["globalName"]
            params.append(entry)
        arts = []
        for art in spec.get("artifacts") or []:
            if "from" in art:
                found = self.artifact_ref(str(art["from"]), scope)
            elif "fromExpression" in art:
                found = evaluate(str(art["fromExpression"]), scope)
            else:
                continue
            entry = {**found, "name": art["name"]}
            if art.get("globalName"):
                entry["globalName"] = art["globalName"]
            arts.append(entry)
        outputs: dict[str, Any] = {}
        if params:
            outputs["parameters"] = params
        if arts:
            outputs["artifacts"] = arts
        if outputs:
            node["outputs"] = outputs
            self.export_globals(outputs)

    def run_parallel(self, calls: list[Any]) -> list[dict[str, Any]]:
        if not calls:  # a step group whose only loop has no items
            return []
        if len(calls) == 1:
            return [calls[0]()]
        with ThreadPoolExecutor(max_workers=min(len(calls), 32)) as pool:
            return list(pool.map(lambda f: f(), calls))

    # --- DAGs -------------------------------------------------------------------------
    def dag(self, tmpl: dict[str, Any], node: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
        node["type"] = "DAG"
        local = self.local_inputs(inputs)
        local["tasks"] = {}
        tasks = {t["name"]: t for t in tmpl["dag"]["tasks"]}
        deps = {n: _dependencies(t) for n, t in tasks.items()}
        done: dict[str, dict[str, Any]] = {}  # task -> its node (or group node)
        failed: dict[str, Any] | None = None
        lock = threading.Lock()
        pending = set(tasks)
        with ThreadPoolExecutor(max_workers=max(1, len(tasks))) as pool:
            running: dict[str, Any] = {}
            while pending or running:
                ready = [n for n in sorted(pending) if all(d in done for d in deps[n])]
                for name in ready:
                    pending.discard(name)
                    blocked = [d for d in deps[name] if not _dep_ok(tasks[d], done[d])]
                    if blocked:
                        continue  # never started: the DAG fails below
                    scope_local = {**local, "tasks": dict(local["tasks"])}
                    running[name] = pool.submit(self.task, tasks[name], node, scope_local)
                if not running:
                    break
                finished = next(iter(_wait_any(list(running.values()))))
                for name, fut in list(running.items()):
                    if fut is finished:
                        del running[name]
                        child, entry = fut.result()
                        with lock:
                            done[name] = child
                            local["tasks"][name] = entry
                        if child["phase"] in ("Failed", "Error") and not _continues(tasks[name], child["phase"]):
                            failed = failed or child
        if failed is not None or pending:
            bad = failed or next(iter(done.values()))
            return self.finish(node, bad["phase"] if failed else "Failed", f"child '{bad['id']}' failed")
        self.template_outputs(tmpl, node, self.scope(local))
        return self.finish(node, "Succeeded")

    def task(
        self, task: dict[str, Any], dag_node: dict[str, Any], local: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        scope = self.scope(local)
        try:
            expanded = self.expand(task, scope, f"{dag_node['name']}.")
        except (_Failure, ExpressionError) as exc:
            node = self.new_node(
                f"{dag_node['name']}.{task['name']}",
                task["name"],
                "Pod",
                task.get("template", ""),
                dag_node,
                dag_node["id"],
            )
            node = self.finish(node, "Error", str(exc))
            return node, {"status": "Error", "outputs": {"parameters": {}, "artifacts": {}}}
        if not expanded:  # executeDAGTask: "DAG task with empty withParams list should be skipped"
            node = self.new_node(f"{dag_node['name']}.{task['name']}", task["name"], "Skipped",
                                 task.get("template", ""), dag_node, dag_node["id"])  # fmt: skip
            node = self.finish(node, "Skipped", "Skipped, empty params")
            return node, self.step_scope(task, expanded, [node], artifacts=False)
        if expanded[0][2]:
            group = self.new_node(
                f"{dag_node['name']}.{task['name']}",
                task["name"],
                "TaskGroup",
                task.get("template", ""),
                dag_node,
                dag_node["id"],
            )
            children = self.run_parallel(
                [lambda e=e: self.call(task, e, group, dag_node["id"], local, dag_node["name"]) for e in expanded]
            )
            bad = next(
                (c for c in children if c["phase"] in ("Failed", "Error") and not _continues(task, c["phase"])), None
            )
            self.finish(group, bad["phase"] if bad else "Succeeded", f"child '{bad['id']}' failed" if bad else "")
            return group, self.step_scope(task, expanded, children, artifacts=False)
        child = self.call(task, (task["name"], task, False), dag_node, dag_node["id"], local)
        return child, self.step_scope(task, expanded, [child], artifacts=False)


def _wait_any(futures: list[Any]) -> set[Any]:
    from concurrent.futures import FIRST_COMPLETED, wait

    done, _ = wait(futures, return_when=FIRST_COMPLETED)
    return done


def _dependencies(task: dict[str, Any]) -> list[str]:
    if task.get("dependencies"):
        return list(task["dependencies"])
    depends = str(task.get("depends") or "")
    if not depends:
        return []
    names = [p.strip() for p in depends.split("&&")]
    if any(not re.fullmatch(r"[\w-]+", n) for n in names):
        raise _Failure(f"emulator: depends {depends!r} is not supported (only 'a && b')")
    return names


def _dep_ok(task: dict[str, Any], node: dict[str, Any]) -> bool:
    return node["phase"] in ("Succeeded", "Skipped") or _continues(task, node["phase"])


def _continues(step: dict[str, Any], phase: str) -> bool:
    cont = step.get("continueOn") or {}
    return (phase == "Failed" and bool(cont.get("failed"))) or (phase == "Error" and bool(cont.get("error")))


def _description(par: dict[str, Any]) -> dict[str, Any]:
    """A parameter's ``description`` stays on it in the node's inputs and outputs: Argo copies
    the template's ``Parameter`` and fills its value (``ProcessArgs`` in workflow/common/util.go,
    ``SaveParameters`` in workflow/executor/executor.go, ``getTemplateOutputsFromScope``)."""
    return {"description": par["description"]} if "description" in par else {}


def _absent(text: str, scope: dict[str, Any]) -> bool:
    """``absentOptionalRef`` (scope.go): ``text`` is one reference to an absent (nil) output."""
    match = _PURE_REF.fullmatch(text.strip())
    if not match:
        return False
    value: Any = scope
    for part in match[1].strip().split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return value is None


def _render_tree(value: Any, scope: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return render(value, scope)
    if isinstance(value, list):
        return [_render_tree(v, scope) for v in value]
    if isinstance(value, dict):
        return {k: _render_tree(v, scope) for k, v in value.items()}
    return value


class EmulatedArgo:
    """Stands in for :class:`~dflow_like.engine.argo.client.ArgoClient`: ``create`` runs the manifest.

    ``images`` maps image names to interpreters; ``repository`` is the namespace's default
    artifact repository; ``secrets`` are the Kubernetes Secrets pods may reference.
    """

    def __init__(self, base: Path, repository: Repository, images: dict[str, Image], secrets: Secrets | None = None,
                 namespace: str = "argo", max_pods: int = 3) -> None:  # fmt: skip
        self.base = base
        self.repository = repository
        self.images = images
        self.secrets: Secrets = secrets or {}
        self.namespace = namespace
        self.max_pods = max_pods
        self.workflows: dict[str, dict[str, Any]] = {}
        self.logs_by_pod: dict[str, str] = {}

    def image(self, name: str) -> Image:
        if name not in self.images:
            raise _Failure(f"image {name!r} is not available to the emulator (known: {sorted(self.images)})")
        return self.images[name]

    def create(self, manifest: dict[str, Any]) -> str:
        wf = copy.deepcopy(manifest)
        meta = wf.setdefault("metadata", {})
        if not meta.get("name"):
            meta["name"] = f"{meta.get('generateName', 'wf-')}{_secrets.token_hex(3)[:5]}"
        name = str(meta["name"])
        wf["status"] = {"phase": "Running", "startedAt": _now(), "nodes": {}}
        self.workflows[name] = wf
        run = _Run(self, wf)
        wf["status"]["nodes"] = run.nodes
        run.run()
        return name

    def get(self, name: str) -> dict[str, Any]:
        return copy.deepcopy(self.workflows[name])

    def list(self) -> list[dict[str, Any]]:
        return [self.get(n) for n in self.workflows]

    def logs(self, name: str, pod_name: str | None = None) -> str:
        nodes = self.workflows[name]["status"]["nodes"].values()
        pods = [n["podName"] for n in nodes if n.get("podName") and (pod_name is None or n["podName"] == pod_name)]
        return "".join(self.logs_by_pod.get(p, "") for p in pods)
