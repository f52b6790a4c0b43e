"""Moving artifact files in and out of a step's attempt directory.

Inputs are copied (a step may write to its inputs without touching anyone else's
files); outputs are hard-linked from the step's private workdir when possible,
which costs no data copy and leaves the workdir intact for inspection.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from ..artifacts import ArtifactRef, Layout, StoredTree, item_dirs, layout_paths

__all__ = ["collect_output", "input_value", "materialize", "place_tree", "relative_name"]


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _place(src: Path, dst: Path, link: bool) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    copy = _link_or_copy if link else shutil.copy2
    if src.is_dir():
        shutil.copytree(src, dst, copy_function=copy, dirs_exist_ok=True, symlinks=True)
    else:
        copy(str(src), str(dst))


def place_tree(src: Path, dst: Path) -> None:
    """Hard-link (else copy) a file or a tree to ``dst``, following a symlinked ``src``."""
    _place(src.resolve() if src.is_symlink() else src, dst, link=True)


def _fetch_tree(tree: StoredTree, layout: Layout, dest: Path) -> None:
    if tree.storage == "local":
        root = Path(tree.key)
        for rel in layout_paths(layout):
            src = root / rel if rel else root
            if not src.exists():
                raise FileNotFoundError(f"stored artifact file {src} is missing")
            _place(src, dest / rel if rel else dest, link=False)
        return
    from ..storage import get_tree

    for rel in layout_paths(layout):
        get_tree(tree, str(dest), sub_path=rel or None)


def materialize(ref: ArtifactRef, dest: Path) -> list[tuple[Path, Layout]]:
    """Copy an artifact into ``dest``; returns (root, layout) per part as placed.

    Parts are merged into one directory (as dflow does) unless their paths collide
    or the step asked ``Slices(create_dir=True)``; then item ``i`` goes under
    ``dest/i`` (:func:`dflow_like.artifacts.item_dirs`, the same as a download).
    """
    dirs = item_dirs(ref)
    placed = []
    dest.mkdir(parents=True, exist_ok=True)
    for index, part in enumerate(ref.parts):
        root = dest / dirs[index] if dirs else dest
        _fetch_tree(part.tree, part.layout, root)
        placed.append((root, part.layout))
    return placed


def _resolve(root: Path, layout: Layout, as_str: bool) -> Any:
    if layout is None:
        return str(root) if as_str else root
    if isinstance(layout, str):
        path = root / layout
        return str(path) if as_str else path
    if isinstance(layout, dict):
        return {k: _resolve(root, v, as_str) for k, v in layout.items()}
    return [_resolve(root, v, as_str) for v in layout]


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [x for v in value for x in _flatten(v)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _flatten(v)]
    return [value]


def input_value(placed: list[tuple[Path, Layout]], declared: Any, gathered: bool, dest: Path) -> Any:
    """What the OP sees for an input artifact of declared type ``declared``."""
    text = str(declared)
    as_str = declared is str or ("str" in text and "Path" not in text)
    origin = getattr(declared, "__origin__", None)
    if origin in (list, set, frozenset) or text.startswith(("typing.List", "typing.Set", "list[", "set[")):
        flat = [x for root, layout in placed for x in _flatten(_resolve(root, layout, as_str))]
        return set(flat) if origin in (set, frozenset) else flat
    if origin is dict or text.startswith(("typing.Dict", "dict[")):
        merged: dict[str, Any] = {}
        for root, layout in placed:
            resolved = _resolve(root, layout, as_str)
            if isinstance(resolved, dict):
                merged.update(resolved)
        return merged
    if len(placed) == 1 and not gathered and (placed[0][1] is None or isinstance(placed[0][1], str)):
        return _resolve(placed[0][0], placed[0][1], as_str)
    flat = [x for root, layout in placed for x in _flatten(_resolve(root, layout, as_str))]
    if len(flat) == 1:  # a one-element list (e.g. upload_artifact([file])) is that file, as in dflow
        return flat[0]
    return str(dest) if as_str else dest


def relative_name(path: Path, workdir: Path, inputs_dir: Path) -> str:
    """Where an output file goes inside the artifact: its path relative to the workdir."""
    for base in (workdir, inputs_dir):
        try:
            rel = path.relative_to(base)
        except ValueError:
            continue
        if base == inputs_dir and len(rel.parts) > 1:
            rel = Path(*rel.parts[1:])  # drop the input artifact's own name
        return rel.as_posix()
    return path.name


def _layout_of(value: Any, workdir: Path, inputs_dir: Path, out_dir: Path, owner: str) -> Layout:
    if isinstance(value, (str, os.PathLike)):
        path = Path(value)
        absolute = path if path.is_absolute() else workdir / path
        if not absolute.exists() and not absolute.is_symlink():
            raise FileNotFoundError(f"{owner}: path {str(value)!r} does not exist")
        rel = relative_name(Path(os.path.normpath(absolute)), workdir, inputs_dir)
        target = out_dir / rel
        if not target.exists():
            _place(absolute.resolve() if absolute.is_symlink() else absolute, target, link=True)
        return rel
    if isinstance(value, dict):
        return {str(k): _layout_of(v, workdir, inputs_dir, out_dir, owner) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [_layout_of(v, workdir, inputs_dir, out_dir, owner) for v in items]
    raise TypeError(f"{owner}: expected paths, got {type(value).__name__}")


def collect_output(value: Any, name: str, attempt_dir: Path, owner: str) -> tuple[Path, Layout]:
    """Link the files an OP returned into ``outputs/artifacts/<name>``; returns (dir, layout)."""
    out_dir = attempt_dir / "outputs" / "artifacts" / name
    out_dir.mkdir(parents=True, exist_ok=True)
    layout = _layout_of(
        value,
        attempt_dir / "workdir",
        attempt_dir / "inputs" / "artifacts",
        out_dir,
        f"{owner}: output artifact {name!r}",
    )
    return out_dir, layout
