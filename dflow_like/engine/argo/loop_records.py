"""A looped step's record read back from Argo holds its gathered outputs, as the local engine's.

Locally a fan-out step has one ``StepGroup`` record whose outputs are gathered from its
items in item order, ``None`` at a failed item's place (``gather_outputs``,
``engine/local/fanout.py``). Argo keeps no such outputs on a node: a DAG loop is a
``TaskGroup`` node and a steps loop hangs under its group's ``StepGroup`` node
(``[i]``), their children named ``<step>(<i>:<item>)`` (``expandStep``, steps.go;
``expandTask``, dag.go); a loop with no items is one ``Skipped`` node "Skipped, empty
params". So the records are completed from what the status holds: a group node whose
children are one step's loop gets that loop's gathered outputs, and an empty loop's node
is the ``StepGroup`` record of a fan-out over no items (``Succeeded``, ``[]`` for each
declared output parameter, an empty artifact for each declared artifact), as locally.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from dflow_like._values import decode_value, encode_value
from dflow_like.artifacts import ArtifactPart, ArtifactRef
from dflow_like.records import IORecord, ParameterRecord, StepRecord

from ..local.fanout import GATHERED_TYPE, gather_outputs
from .status import INTERNAL_PREFIX

__all__ = ["EMPTY_LOOP", "with_gathered_outputs"]

EMPTY_LOOP = "Skipped, empty params"
_ITEM = re.compile(r"^(?P<step>.+?)\((?P<index>\d+):")


def with_gathered_outputs(records: list[StepRecord], workflow: Mapping[str, Any]) -> list[StepRecord]:
    """``records`` (from :func:`~.status.step_records`), loop groups and empty loops completed."""
    children: dict[str, list[StepRecord]] = {}
    for record in records:
        if record.parent_id is not None:
            children.setdefault(record.parent_id, []).append(record)
    templates = _templates(workflow)
    nodes: Mapping[str, Any] = (workflow.get("status") or {}).get("nodes") or {}
    for record in records:
        if record.type in ("TaskGroup", "StepGroup"):
            items = _one_loop(children.get(record.id, []))
            if items is not None and _sliced(nodes.get(items[0].id)).get("group_size"):
                record.outputs = _gather_groups(items, nodes, templates.get(items[0].template) or {})
            elif items is not None:
                record.outputs = gather_outputs(items)
                declared = _declared_empty(templates.get(items[0].template) or {})
                for name in declared.parameters:  # no item made it: one None per item, as locally
                    if name not in record.outputs.parameters:
                        none = "[" + ",".join(["null"] * len(items)) + "]"
                        record.outputs.parameters[name] = ParameterRecord(name, none, GATHERED_TYPE)
                for name, empty in declared.artifacts.items():
                    record.outputs.artifacts.setdefault(name, empty)
        elif record.type == "Skipped" and record.message == EMPTY_LOOP:
            record.type, record.phase = "StepGroup", "Succeeded"
            record.outputs = _declared_empty(templates.get(record.template) or {})
    return records


def _one_loop(children: list[StepRecord]) -> list[StepRecord] | None:
    """The items of the one loop among ``children``, in item order; None when not one loop."""
    indexed: list[tuple[int, StepRecord]] = []
    steps = set()
    for child in children:
        match = _ITEM.match(child.name)
        if match is None:
            return None
        steps.add(match["step"])
        indexed.append((int(match["index"]), child))
    if len(steps) != 1:
        return None
    indexed.sort(key=lambda pair: pair[0])
    if [i for i, _ in indexed] != list(range(len(indexed))):
        return None  # not every item has a node yet (a running loop): nothing to gather
    return [child for _, child in indexed]


def _templates(workflow: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    spec = workflow.get("spec") or {}
    stored = (workflow.get("status") or {}).get("storedTemplates") or {}
    found = {str(t.get("name")): t for t in spec.get("templates") or [] if isinstance(t, Mapping)}
    found.update({str(t.get("name")): t for t in stored.values() if isinstance(t, Mapping)})
    return found


def _declared_empty(template: Mapping[str, Any]) -> IORecord:
    outputs = template.get("outputs") or {}
    record = IORecord()
    for param in outputs.get("parameters") or []:
        name = str(param.get("name") or "")
        if name and not name.startswith(INTERNAL_PREFIX):
            record.parameters[name] = ParameterRecord(name, "[]", GATHERED_TYPE)
    for art in outputs.get("artifacts") or []:
        name = str(art.get("name") or "")
        if name and not name.startswith(INTERNAL_PREFIX):
            record.artifacts[name] = ArtifactRef((), gathered=True, name=name)
    return record


def _hidden(node: Mapping[str, Any] | None, section: str, name: str) -> str | None:
    for param in ((node or {}).get(section) or {}).get("parameters") or []:
        if param.get("name") == name:
            value = param.get("value")
            return value if isinstance(value, str) else None
    return None


def _sliced(node: Mapping[str, Any] | None) -> dict[str, Any]:
    """The pod's hidden ``dflow_sliced`` input: which inputs are sliced, and its group size."""
    try:
        found = json.loads(_hidden(node, "inputs", "dflow_sliced") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _gather_groups(groups: list[StepRecord], nodes: Mapping[str, Any], template: Mapping[str, Any]) -> IORecord:
    """A ``Slices(group_size=...)`` loop's outputs, item by item as :func:`gather_outputs` gives
    them without groups: each pod reported a list per output and its items' ``dflow_position``
    (``runner/pod.py``, ``_run_group``); a pod's own record then shows its list."""
    sliced = _sliced(nodes.get(groups[0].id))
    name = (sliced.get("parameters") or [""])[0]
    whole = groups[0].inputs.parameters.get(name)
    if isinstance(sliced.get("items"), list):  # with_param/with_items: the loop's own list
        total = len(sliced["items"])
    else:
        total = len(json.loads(whole.raw)) if whole is not None else 0
    declared = _declared_empty(template)
    gathered = IORecord()
    values: dict[str, list[Any]] = {n: [None] * total for n in declared.parameters}
    parts: dict[str, list[tuple[int, ArtifactPart]]] = {}
    for group in groups:
        if group.phase != "Succeeded":
            continue
        positions = json.loads(_hidden(nodes.get(group.id), "outputs", "dflow_position") or "[]")
        for out, param in group.outputs.parameters.items():
            listed = json.loads(param.raw)
            if not isinstance(listed, list):  # not a group's list: nothing to place
                continue
            for position, value in zip(positions, listed):
                raw = value if isinstance(value, str) else json.dumps(value)
                values.setdefault(out, [None] * total)[position] = decode_value(raw, param.type_name)
            group.outputs.parameters[out] = ParameterRecord(out, param.raw, GATHERED_TYPE)
        layouts = json.loads(_hidden(nodes.get(group.id), "outputs", "dflow_layouts") or "{}").get("dflow_group", {})
        for out, ref in group.outputs.artifacts.items():
            tree = ref.parts[0].tree
            for position in positions:  # the pod stored each item's files under <its key>/<position>
                if str(position) in layouts.get(out, {}):
                    part = ArtifactPart(replace(tree, key=f"{tree.key}/{position}"), layouts[out][str(position)])
                    parts.setdefault(out, []).append((position, part))
    for out, listed in values.items():
        gathered.parameters[out] = ParameterRecord(out, encode_value(listed), GATHERED_TYPE)
    for out in declared.artifacts:
        placed = sorted(parts.get(out, []), key=lambda pair: pair[0])
        where = tuple(position for position, _ in placed)
        dense = where == tuple(range(len(placed)))
        found = tuple(part for _, part in placed)
        gathered.artifacts[out] = ArtifactRef(found, gathered=True, name=out, positions=None if dense else where)
    return gathered
