"""``python3 -c BOOT <template>`` inside an Argo pod: Argo's files in, the runner, Argo's files out.

The pod contract (paths are under ``$DFLOW_LIKE_POD_ROOT``, ``/`` in a real pod):

- the bundle at ``/tmp/dflow_like/bundle`` (``templates.pkl``, ``reuse.json``);
- parameters in ``DFLOW_LIKE_PARAM_<name>`` environment variables (hidden ``dflow_*``
  ones: ``dflow_key``, ``dflow_slice``/``dflow_sliced`` for slices, ``dflow_layouts``);
- input artifacts at ``/tmp/inputs/artifacts/<name>``: a file, a directory with a
  ``.dflow_like.json`` layout file, or a gathered prefix (one such directory per item);
- outputs to ``/tmp/outputs/parameters/<name>`` and ``/tmp/outputs/artifacts/<name>``
  (each artifact a directory carrying its layout file), plus ``dflow_layouts`` and, on success, ``dflow_success`` = 1.

The step itself runs through ``run_step``, the same function every engine uses, so
exit codes mean the same (3: transient, retried by ``lastRetry.exitCode == 3``).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

import cloudpickle

from ..artifacts import ArtifactPart, ArtifactRef, Layout, StoredTree
from ..python.errors import TransientError
from ..values import decode_value, encode_value
from . import codes
from .execute import run_step
from .files import materialize
from .namespace import restore_main_namespace
from .s3_fetch import S3Settings, fetch_tree
from .spec import StepSpec

__all__ = ["LAYOUT_FILE", "PARAM_ENV", "main", "pod_root"]

PARAM_ENV = "DFLOW_LIKE_PARAM_"
LAYOUT_FILE = ".dflow_like.json"


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
    if entries and all(e.is_dir() and (e / LAYOUT_FILE).exists() for e in entries):
        parts = tuple(
            ArtifactPart(StoredTree("local", str(e)), _read_layout(e)) for e in sorted(entries, key=_item_order)
        )
        return ArtifactRef(parts, gathered=True)
    return ArtifactRef((ArtifactPart(StoredTree("local", str(path)), hint),))


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
    index = json.loads(hidden["dflow_slice"])
    for name in sliced.get("parameters", []):
        values = decode_value(params[name])
        if not isinstance(values, list):
            raise ValueError(f"sliced input parameter {name!r} is not a list: {params[name][:60]!r}")
        params[name] = encode_value(_pick(values, index, f"input parameter {name!r}"))
    for name in sliced.get("artifacts", []):
        arts[name] = _slice_artifact(arts.get(name), index, name)


def _write_artifact(directory: Path, dest: Path, layout: Layout) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(directory), str(dest))
    (dest / LAYOUT_FILE).write_text(json.dumps({"layout": layout}))


def _publish(paths: _Paths, result: dict[str, Any]) -> None:
    """Move the runner's outputs to where Argo collects them."""
    paths.out_params.mkdir(parents=True, exist_ok=True)
    for name, raw in result["parameters"].items():
        (paths.out_params / name).write_text(raw)
    layouts: dict[str, Any] = {}
    for name, data in result["artifacts"].items():
        ref = ArtifactRef.from_json(data)
        part = ref.parts[0]
        _write_artifact(Path(part.tree.key), paths.out_arts / name, part.layout)
        layouts[name] = part.layout
    (paths.out_params / "dflow_layouts").write_text(json.dumps(layouts))


def _publish_reused(paths: _Paths, entry: dict[str, Any]) -> None:
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
            (target / LAYOUT_FILE).write_text(json.dumps({"layout": part.layout}))
        if len(ref.parts) == 1:
            layouts[name] = ref.parts[0].layout
    (paths.out_params / "dflow_layouts").write_text(json.dumps(layouts))


def _mark_success(paths: _Paths) -> None:
    """The ``dflow_success`` output (default 0) that success-threshold checks count."""
    (paths.out_params / "dflow_success").write_text("1")


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


def _spec(paths: _Paths, name: str, template: Any) -> tuple[StepSpec, dict[str, str]]:
    values = {k[len(PARAM_ENV) :]: v for k, v in os.environ.items() if k.startswith(PARAM_ENV)}
    hidden = {k: v for k, v in values.items() if k.startswith("dflow_")}
    params = {k: v for k, v in values.items() if not k.startswith("dflow_")}
    layouts = json.loads(hidden.get("dflow_layouts") or "{}")
    arts = {n: input_ref(paths.inputs / n, layouts.get(n)) for n in template.inputs.artifacts}
    _apply_slices(hidden, params, arts)
    paths.attempt.mkdir(parents=True, exist_ok=True)
    spec = StepSpec(
        workflow_id=os.environ.get("DFLOW_LIKE_WORKFLOW", ""), node_id=os.environ.get("DFLOW_LIKE_POD", ""),
        step_name=name, template=name, attempt_dir=str(paths.attempt), parameters=params,
        artifacts={n: (a.to_json() if a is not None else None) for n, a in arts.items()},
        envs={str(k): str(v) for k, v in template.envs.items()}, key=hidden.get("dflow_key") or None,
    )  # fmt: skip
    return spec, hidden


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python3 -m dflow_like.runner.pod TEMPLATE", file=sys.stderr)
        return codes.ERROR
    paths = _Paths(pod_root())
    try:
        template = _load(paths, argv[0])
        spec, _ = _spec(paths, argv[0], template)
        reuse = json.loads((paths.bundle / "reuse.json").read_text()) if (paths.bundle / "reuse.json").exists() else {}
        if spec.key and spec.key in reuse:
            print(f"step key {spec.key!r}: reusing the outputs of {reuse[spec.key].get('name')!r}")
            _publish_reused(paths, reuse[spec.key])
            _mark_success(paths)
            return codes.SUCCEEDED
    except Exception as exc:  # the pod could not even start the step: Argo's "Error"
        print(f"dflow_like pod: {type(exc).__name__}: {exc}", file=sys.stderr)
        return codes.ERROR
    if template.timeout:
        _alarm(float(template.timeout), bool(template.timeout_as_transient_error))
    code = run_step(spec, template)
    signal.alarm(0)
    if code == codes.SUCCEEDED:
        _publish(paths, json.loads((paths.attempt / "outputs.json").read_text()))
        _mark_success(paths)
    else:
        error = paths.attempt / "error.txt"
        if error.exists():
            print(error.read_text(), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
