"""``python3 -c BOOT <template>`` inside an Argo pod: Argo's files in, the runner, Argo's files out.

The pod contract (paths are under ``$DFLOW_LIKE_POD_ROOT``, ``/`` in a real pod):

- the bundle at ``/tmp/dflow_like/bundle`` (``templates.pkl``, ``reuse.json``);
- parameters in ``DFLOW_LIKE_PARAM_<name>`` environment variables (hidden ``dflow_*``
  ones: ``dflow_key``, ``dflow_slice``/``dflow_sliced`` for slices, ``dflow_layouts``);
- input artifacts at ``/tmp/inputs/artifacts/<name>``: a file, a directory with a
  ``.dflow_like.json`` layout file, or a gathered prefix (one such directory per item);
- outputs to ``/tmp/outputs/parameters/<name>`` and ``/tmp/outputs/artifacts/<name>``
  (each artifact a directory carrying its layout file), plus ``dflow_layouts`` and, on success, ``dflow_success`` = 1;
- in a loop (hidden ``dflow_loop``: the step's name) the item's position, read from the node name
  ``...<step>(<i>:<item>)`` (``$DFLOW_LIKE_NODE``, Argo's ``{{node.name}}``), as ``dflow_position`` and in
  each output artifact's layout file; a consumer's hidden ``dflow_gathered`` names the parameters and
  artifacts it gets from loops, with the loop's items and the positions of the items that succeeded, so
  the runner puts ``None`` where an item failed, as the local engine gathers (see
  ``engine/argo/compile/gathered.py``).

The step itself runs through ``run_step``, the same function every engine uses, so
exit codes mean the same (3: transient, retried by ``lastRetry.exitCode == 3``).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

import cloudpickle

from .._values import decode_value, encode_value
from ..artifacts import ArtifactPart, ArtifactRef, Layout, StoredTree
from ..python.errors import TransientError
from . import codes
from .execute import run_step
from .files import materialize
from .namespace import restore_main_namespace
from .pod_items import run_items
from .s3_fetch import S3Settings, fetch_tree
from .spec import StepSpec

__all__ = ["GROUP_FILE", "LAYOUT_FILE", "PARAM_ENV", "main", "pod_root"]

PARAM_ENV = "DFLOW_LIKE_PARAM_"
LAYOUT_FILE = ".dflow_like.json"
GROUP_FILE = ".dflow_like_group"  # marks a pod's directory of its group's items (Slices(group_size=...))


def pod_root() -> Path:
    return Path(os.environ.get("DFLOW_LIKE_POD_ROOT", "/"))


class _Paths:
    def __init__(self, root: Path) -> None:
        tmp = root / "tmp"
        self.bundle = tmp / "dflow_like" / "bundle"
        self.attempt = tmp / "dflow_like" / "attempt"
        self.inputs = tmp / "inputs" / "artifacts"
        self.out_params = tmp / "outputs" / "parameters"
        self.out_arts = tmp / "outputs" / "artifacts"


def _item_order(path: Path) -> tuple[int, float, str]:
    try:
        return (0, float(path.name), path.name)
    except ValueError:
        return (1, 0.0, path.name)


def _read_layout(directory: Path) -> Layout:
    return json.loads((directory / LAYOUT_FILE).read_text()).get("layout")  # type: ignore[no-any-return]


def input_ref(path: Path, hint: Any = None) -> ArtifactRef | None:
    """What Argo placed at ``path``, as an artifact the runner can materialize."""
    if not path.exists():
        return None
    if path.is_file():
        return ArtifactRef((ArtifactPart(StoredTree("local", str(path.parent)), path.name),))
    if (path / LAYOUT_FILE).exists():
        return ArtifactRef((ArtifactPart(StoredTree("local", str(path)), _read_layout(path)),))
    entries = list(path.iterdir())
    if entries and all(e.is_dir() and (e / GROUP_FILE).exists() for e in entries):  # one directory per pod
        entries = [item for group in entries for item in group.iterdir() if item.name != GROUP_FILE]
        if not entries:
            return ArtifactRef((), gathered=True)
    if entries and all(e.is_dir() and (e / LAYOUT_FILE).exists() for e in entries):
        return _gathered_ref(entries)
    return ArtifactRef((ArtifactPart(StoredTree("local", str(path)), hint),))


def _gathered_ref(entries: list[Path]) -> ArtifactRef:
    """One part per item directory, in item order; ``positions`` when some items left nothing."""
    placed = []
    for entry in entries:
        data = json.loads((entry / LAYOUT_FILE).read_text())
        placed.append((data.get("position"), entry, data.get("layout")))
    if all(isinstance(pos, int) for pos, _, _ in placed):
        placed.sort(key=lambda p: p[0])
        positions: tuple[int, ...] | None = tuple(p[0] for p in placed)
    else:  # written before positions were recorded: the item directories' order
        placed.sort(key=lambda p: _item_order(p[1]))
        positions = None
    parts = tuple(ArtifactPart(StoredTree("local", str(entry)), layout) for _, entry, layout in placed)
    dense = positions is None or positions == tuple(range(len(parts)))
    return ArtifactRef(parts, gathered=True, positions=None if dense else positions)


def _pick(values: list[Any], index: Any, what: str) -> Any:
    try:
        return [values[i] for i in index] if isinstance(index, list) else values[index]
    except (IndexError, TypeError):
        raise IndexError(f"slice index {index!r} is out of range for {what} ({len(values)} values)") from None


def _slice_artifact(ref: ArtifactRef | None, index: Any, name: str) -> ArtifactRef | None:
    if ref is None:
        return None
    if ref.gathered or len(ref.parts) > 1:
        picked = _pick(list(ref.parts), index, f"input artifact {name!r}")
        parts = tuple(picked) if isinstance(picked, list) else (picked,)
        return ArtifactRef(parts, gathered=isinstance(picked, list), name=ref.name)
    part = ref.parts[0]
    if not isinstance(part.layout, list):
        raise ValueError(f"sliced input artifact {name!r} is not a list artifact (layout {part.layout!r})")
    return ArtifactRef((ArtifactPart(part.tree, _pick(part.layout, index, f"input artifact {name!r}")),))


def _apply_slices(hidden: dict[str, str], params: dict[str, str], arts: dict[str, Any]) -> None:
    sliced = json.loads(hidden.get("dflow_sliced") or "{}")
    if not sliced:
        return
    text = hidden["dflow_slice"]
    try:
        index = json.loads(text)
    except ValueError:
        index = None
    if not isinstance(index, (int, list)) or isinstance(index, bool):  # as the local engine's slice_index
        raise ValueError(
            f"Slices: the slice index is {text!r}, not an index; with no slices expression an item's value is "
            "the index of the element it takes (as in dflow): loop over indices (e.g. with_param=argo_range(n)) "
            "or give Slices(slices=...)"
        )
    _apply_index(sliced, index, params, arts)


def _apply_index(sliced: dict[str, Any], index: Any, params: dict[str, str], arts: dict[str, Any]) -> None:
    for name in sliced.get("parameters", []):
        values = decode_value(params[name])
        if not isinstance(values, list):
            raise ValueError(f"sliced input parameter {name!r} is not a list: {params[name][:60]!r}")
        params[name] = encode_value(_pick(values, index, f"input parameter {name!r}"))
    for name in sliced.get("artifacts", []):
        arts[name] = _slice_artifact(arts.get(name), index, name)


def _layout_file(layout: Layout, position: int | None) -> str:
    return json.dumps({"layout": layout} if position is None else {"layout": layout, "position": position})


def _write_artifact(directory: Path, dest: Path, layout: Layout, position: int | None) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(directory), str(dest))
    (dest / LAYOUT_FILE).write_text(_layout_file(layout, position))


def loop_position(step: str, node_name: str) -> int | None:
    """The item index in Argo's node name of a loop child, ``<parent>.<step>(<i>:<item>)``
    (``expandStep`` in workflow/controller/steps.go, ``expandTask`` in dag.go); None outside loops."""
    if not step:
        return None
    found = re.findall(r"\." + re.escape(step) + r"\((\d+):", node_name)
    return int(found[-1]) if found else None


def _position(hidden: dict[str, str]) -> int | None:
    return loop_position(hidden.get("dflow_loop", ""), os.environ.get("DFLOW_LIKE_NODE", ""))


def _loop_length(items: Any) -> int:
    if isinstance(items, dict) and "sequence" in items:
        from ..expr import expand_sequence  # only here: the pod's imports stay small

        return len(expand_sequence(items["sequence"], {}))
    return len(items) if isinstance(items, list) else 0


def _fill_holes(hidden: dict[str, str], params: dict[str, str], arts: dict[str, ArtifactRef | None]) -> None:
    """Gathered inputs as the local engine gathers them: ``None`` at each failed item's place,
    an empty gathered artifact when no item stored one."""
    gathered = json.loads(hidden.get("dflow_gathered") or "{}")
    for name, loop in gathered.get("parameters", {}).items():
        values = decode_value(params[name])
        raw_positions = loop["positions"]
        if loop.get("grouped") and isinstance(values, list) and isinstance(raw_positions, list):
            values = [v for group in values if isinstance(group, list) for v in group]  # one list per pod
            raw_positions = [p for group in raw_positions if isinstance(group, list) for p in group]
            params[name] = encode_value(values)
        try:
            positions = [int(p) for p in raw_positions]
        except (TypeError, ValueError):  # a producer that did not report positions
            continue
        length = _loop_length(loop["items"])
        if not isinstance(values, list) or len(values) != len(positions) or any(p >= length for p in positions):
            continue
        filled: list[Any] = [None] * length
        for position, value in zip(positions, values):
            filled[position] = value
        params[name] = encode_value(filled)
    for name in gathered.get("artifacts", []):
        if arts.get(name) is None:
            arts[name] = ArtifactRef((), gathered=True, name=name)


def _publish(paths: _Paths, result: dict[str, Any], position: int | None) -> None:
    """Move the runner's outputs to where Argo collects them."""
    paths.out_params.mkdir(parents=True, exist_ok=True)
    for name, raw in result["parameters"].items():
        (paths.out_params / name).write_text(raw)
    layouts: dict[str, Any] = {}
    for name, data in result["artifacts"].items():
        ref = ArtifactRef.from_json(data)
        part = ref.parts[0]
        _write_artifact(Path(part.tree.key), paths.out_arts / name, part.layout, position)
        layouts[name] = part.layout
    (paths.out_params / "dflow_layouts").write_text(json.dumps(layouts))


def _publish_reused(paths: _Paths, entry: dict[str, Any], position: int | None) -> None:
    """Outputs of a reused step: its recorded values, its stored files fetched again."""
    paths.out_params.mkdir(parents=True, exist_ok=True)
    for name, raw in entry["parameters"].items():
        (paths.out_params / name).write_text(raw)
    layouts: dict[str, Any] = {}
    s3: S3Settings | None = None
    for name, data in entry["artifacts"].items():
        ref = ArtifactRef.from_json(data)
        dest = paths.out_arts / name
        if any(part.tree.storage == "s3" for part in ref.parts) and s3 is None:
            s3 = S3Settings()
        targets = [dest] if len(ref.parts) == 1 else [dest / str(i) for i in range(len(ref.parts))]
        for part, target in zip(ref.parts, targets):  # a gathered output stays gathered
            if part.tree.storage == "s3":
                assert s3 is not None
                fetch_tree(part.tree.to_json(), target, s3)
            else:
                materialize(ArtifactRef((part,)), target)
            (target / LAYOUT_FILE).write_text(_layout_file(part.layout, position if len(ref.parts) == 1 else None))
        if len(ref.parts) == 1:
            layouts[name] = ref.parts[0].layout
    (paths.out_params / "dflow_layouts").write_text(json.dumps(layouts))


def _mark_success(paths: _Paths, position: int | None) -> None:
    """The ``dflow_success`` output (default 0) that success-threshold checks count, and
    ``dflow_position`` (default "null") from which consumers place the items that succeeded."""
    (paths.out_params / "dflow_success").write_text("1")
    if position is not None:
        (paths.out_params / "dflow_position").write_text(str(position))


def _load(paths: _Paths, name: str) -> Any:
    with open(paths.bundle / "templates.pkl", "rb") as fh:
        data = cloudpickle.load(fh)
    restore_main_namespace(data["namespace"])
    return data["templates"][name]


def _alarm(seconds: float, transient: bool) -> None:
    """The step's ``timeout``, enforced in the pod as the local engine enforces it: a
    ``TransientError`` with ``timeout_as_transient_error`` (retried on exit code 3), else
    an ordinary failure (exit 1). Argo's own pod deadline is only a backstop
    (``TIMEOUT_GRACE`` later): a pod it kills exits 143, which no policy of ours expects."""

    def expire(signum: int, frame: Any) -> None:
        if transient:
            raise TransientError(f"timed out after {seconds:g} s")
        raise TimeoutError(f"timed out after {seconds:g} s")

    signal.signal(signal.SIGALRM, expire)
    signal.alarm(max(1, math.ceil(seconds)))


_Inputs = tuple[dict[str, str], dict[str, str], dict[str, ArtifactRef | None]]


def _inputs(paths: _Paths, template: Any) -> _Inputs:
    """(hidden ``dflow_*`` parameters, parameters, artifacts), gathered holes filled, not sliced."""
    values = {k[len(PARAM_ENV) :]: v for k, v in os.environ.items() if k.startswith(PARAM_ENV)}
    hidden = {k: v for k, v in values.items() if k.startswith("dflow_")}
    params = {k: v for k, v in values.items() if not k.startswith("dflow_")}
    layouts = json.loads(hidden.get("dflow_layouts") or "{}")
    arts = {n: input_ref(paths.inputs / n, layouts.get(n)) for n in template.inputs.artifacts}
    _fill_holes(hidden, params, arts)
    return hidden, params, arts


def _step_spec(name: str, template: Any, inputs: _Inputs, attempt: Path) -> StepSpec:
    hidden, params, arts = inputs
    attempt.mkdir(parents=True, exist_ok=True)
    return StepSpec(
        workflow_id=os.environ.get("DFLOW_LIKE_WORKFLOW", ""), node_id=os.environ.get("DFLOW_LIKE_POD", ""),
        step_name=name, template=name, attempt_dir=str(attempt), parameters=params,
        artifacts={n: (a.to_json() if a is not None else None) for n, a in arts.items()},
        envs={str(k): str(v) for k, v in template.envs.items()}, key=hidden.get("dflow_key") or None,
    )  # fmt: skip


def _spec(paths: _Paths, name: str, template: Any) -> tuple[StepSpec, dict[str, str]]:
    hidden, params, arts = _inputs(paths, template)
    _apply_slices(hidden, params, arts)
    return _step_spec(name, template, (hidden, params, arts), paths.attempt), hidden


def _aggregated(raw: str) -> Any:
    """One value as Argo puts it in a loop's aggregate: parsed when it is JSON, else the text
    (``aggregatedJsonValueList``, workflow/controller/operator.go)."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _run_group(paths: _Paths, name: str, template: Any, inputs: _Inputs) -> int:
    """A pod of ``Slices(group_size=G)`` (``engine/argo/compile/groups.py``): its items, one by one
    or ``pool_size`` at once (``pod_items.py``).

    Per output parameter, the JSON list of the succeeded items' values, their positions
    as ``dflow_position`` and their number as ``dflow_success``; per output artifact, a
    directory (marked ``GROUP_FILE``) of one ``<position>/`` directory per succeeded item,
    their layouts in ``dflow_layouts`` under ``"dflow_group"``. Without
    ``continue_on_*`` the first failed item ends the pod with its exit code, as that
    item's own pod would have failed the loop; with it, the pod reports the others.
    """
    hidden, params, arts = inputs
    sliced = json.loads(hidden["dflow_sliced"])
    first, size = int(json.loads(hidden["dflow_slice"])), int(sliced["group_size"])
    items = sliced.get("items")  # with_param/with_items: the loop's list
    by_value = bool(sliced.get("by_value")) and isinstance(items, list)  # an explicit loop: items[i], else i
    total = len(items) if isinstance(items, list) else len(decode_value(params[sliced["parameters"][0]]))
    positions: list[int] = []
    values: dict[str, list[Any]] = {n: [] for n in template.outputs.parameters}
    layouts: dict[str, dict[str, Any]] = {}
    specs: list[tuple[int, StepSpec]] = []
    for index in range(first, min(first + size, total)):
        item_params, item_arts = dict(params), dict(arts)
        at = items[index] if by_value and isinstance(items, list) else index
        at = (
            json.loads(at) if isinstance(at, str) and at.strip().lstrip("-").isdigit() else at
        )  # "3": as {{item}} renders
        _apply_index(sliced, at, item_params, item_arts)
        specs.append((index, _step_spec(name, template, (hidden, item_params, item_arts), paths.attempt / str(index))))
    tolerant = bool(sliced.get("tolerant"))
    ran = run_items(specs, template, int(sliced.get("pool_size") or 1), tolerant)
    failed = 0
    for index, spec in specs:
        code = ran.get(index)
        if code is None:  # not started: an earlier item failed
            continue
        if code != codes.SUCCEEDED:
            error = Path(spec.attempt_dir) / "error.txt"
            print(f"item {index}: " + (error.read_text() if error.exists() else f"exit {code}"), file=sys.stderr)
            failed = failed or code
            continue
        outputs = json.loads(Path(spec.attempt_dir, "outputs.json").read_text())
        positions.append(index)
        for out, collected in values.items():
            raw = outputs["parameters"].get(out)
            collected.append(_aggregated(raw) if raw is not None else None)
        for out, data in outputs["artifacts"].items():
            part = ArtifactRef.from_json(data).parts[0]
            _write_artifact(Path(part.tree.key), paths.out_arts / out / str(index), part.layout, index)
            layouts.setdefault(out, {})[str(index)] = part.layout
    if failed and not tolerant:
        return failed
    paths.out_params.mkdir(parents=True, exist_ok=True)
    for out, collected in values.items():
        (paths.out_params / out).write_text(json.dumps(collected, separators=(",", ":")))
    for out in template.outputs.artifacts:  # present even when no item made it: Argo requires the path
        (paths.out_arts / out).mkdir(parents=True, exist_ok=True)
        (paths.out_arts / out / GROUP_FILE).write_text("")
    (paths.out_params / "dflow_layouts").write_text(json.dumps({"dflow_group": layouts}))
    (paths.out_params / "dflow_success").write_text(str(len(positions)))
    (paths.out_params / "dflow_position").write_text(json.dumps(positions))
    return codes.SUCCEEDED


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python3 -m dflow_like.runner.pod TEMPLATE", file=sys.stderr)
        return codes.ERROR
    paths = _Paths(pod_root())
    try:
        template = _load(paths, argv[0])
        inputs = _inputs(paths, template)
        if json.loads(inputs[0].get("dflow_sliced") or "{}").get("group_size"):
            return _run_group(paths, argv[0], template, inputs)
        spec, hidden = _spec(paths, argv[0], template)
        position = _position(hidden)
        reuse = json.loads((paths.bundle / "reuse.json").read_text()) if (paths.bundle / "reuse.json").exists() else {}
        if spec.key and spec.key in reuse:
            print(f"step key {spec.key!r}: reusing the outputs of {reuse[spec.key].get('name')!r}")
            _publish_reused(paths, reuse[spec.key], position)
            _mark_success(paths, position)
            return codes.SUCCEEDED
    except Exception as exc:  # the pod could not even start the step: Argo's "Error"
        print(f"dflow_like pod: {type(exc).__name__}: {exc}", file=sys.stderr)
        return codes.ERROR
    if template.timeout:
        _alarm(float(template.timeout), bool(template.timeout_as_transient_error))
    code = run_step(spec, template)
    signal.alarm(0)
    if code == codes.SUCCEEDED:
        _publish(paths, json.loads((paths.attempt / "outputs.json").read_text()), position)
        _mark_success(paths, position)
    else:
        error = paths.attempt / "error.txt"
        if error.exists():
            print(error.read_text(), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
