"""Moving files between the user and the artifact store: ``upload_artifact``/``download_artifact``."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from ._config import config, home_dir, uses_local_engine
from .artifacts import ArtifactPart, ArtifactRef, Layout, StoredTree, item_dirs, layout_paths

__all__ = ["download_artifact", "upload_artifact"]


def _relative(path: Path, taken: set[str]) -> str:
    """Where an uploaded path sits inside the artifact: relative to cwd if under it, else its name.

    dflow's ``upload_artifact`` (``dflow/utils.py``) keeps a path outside the working
    directory at its full path minus the leading ``/``; we use its base name, which is
    where a user looks for it after ``download_artifact`` — unless another path of the
    same upload already took that name: then dflow's layout keeps both.
    """
    absolute = path.resolve()
    try:
        rel = absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        rel = absolute.name
        if rel in taken:
            rel = absolute.as_posix().lstrip("/")
    taken.add(rel)
    return rel


def _stage(value: Any, root: Path, taken: set[str]) -> Layout:
    if isinstance(value, (str, os.PathLike)):
        src = Path(value)
        if not src.exists():
            raise FileNotFoundError(f"upload_artifact: {str(value)!r} does not exist")
        rel = _relative(src, taken)
        dst = root / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True, symlinks=True)
        else:
            shutil.copy2(src, dst)
        return rel
    if isinstance(value, dict):
        return {str(k): _stage(v, root, taken) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_stage(v, root, taken) for v in value]
    raise TypeError(f"upload_artifact: expected a path or a list/dict of paths, got {type(value).__name__}")


def _remote() -> bool:
    return bool(config["debug_s3"]) or not uses_local_engine()


def upload_artifact(paths: Any, archive: str | None = "tar", **kwargs: object) -> ArtifactRef:
    """Store files (a path, or a list/set/dict of paths) and return an artifact for ``Step(artifacts=...)``."""
    upload_id = uuid.uuid4().hex[:16]
    local_root = home_dir() / "artifacts" / upload_id
    local_root.mkdir(parents=True)
    layout = _stage(paths, local_root, set())
    if not _remote():
        return ArtifactRef((ArtifactPart(StoredTree("local", str(local_root)), layout),), name="upload")
    from ._config import s3_config
    from .storage import get_storage_client, put_tree

    key = f"{s3_config['prefix'] or ''}upload/{upload_id}"
    if archive and len(list(local_root.iterdir())) == 1:
        # Argo renames a tarball's single top-level entry onto the artifact path (``unpack``
        # in workflow/executor/executor.go), so one uploaded directory ``d`` would arrive
        # as the path itself, not as ``path/d``. The layout file (what pods read, see
        # runner/pod.py LAYOUT_FILE) makes a second entry and tells the pod the layout.
        (local_root / ".dflow_like.json").write_text(json.dumps({"layout": layout}))
    tree = put_tree(get_storage_client(), str(local_root), key, archive="tar" if archive else None)
    shutil.rmtree(local_root, ignore_errors=True)
    return ArtifactRef((ArtifactPart(tree, layout),), name="upload")


def _fetch(tree: StoredTree, rel: str, dest: Path, skip_exists: bool) -> None:
    target = dest / rel if rel else dest
    if skip_exists and rel and target.exists():
        return
    if tree.storage == "local":
        src = Path(tree.key) / rel if rel else Path(tree.key)
        if not src.exists():
            raise FileNotFoundError(f"download_artifact: stored file {src} is missing")
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, dirs_exist_ok=True, symlinks=True)
        else:
            shutil.copy2(src, target)
        return
    from .storage import get_tree

    get_tree(tree, str(dest), sub_path=rel or None)


def download_artifact(
    artifact: Any, path: str | os.PathLike[str] = ".", sub_path: str | None = None,
    slice: int | None = None, skip_exists: bool = False, **kwargs: object,
) -> list[str]:  # fmt: skip
    """Download an artifact (a step's output, or an upload) into ``path``; returns the local paths.

    ``slice`` picks one item of a sliced step's gathered output (its files land in
    ``path`` itself); ``sub_path`` one relative path inside the artifact.

    A gathered output (every item of a fan-out) keeps every item's files: they are
    merged into ``path`` as dflow merges them, unless two items return the same path
    (say each writes ``note.txt``) or the step has ``Slices(create_dir=True)``; then
    item ``i``'s files go to ``path/i/`` (dflow's ``create_dir`` layout). The paths
    come back in item order either way. See :func:`dflow_like.artifacts.item_dirs`.
    """
    if not isinstance(artifact, ArtifactRef):
        raise TypeError(
            f"download_artifact: expected a step output artifact, got {type(artifact).__name__} {artifact!r:.60}"
        )
    parts = list(artifact.parts)
    dirs = item_dirs(artifact) if slice is None else None
    if slice is not None:
        if artifact.gathered or len(parts) > 1:
            positions = artifact.item_positions()
            if artifact.positions is not None and slice not in positions:
                raise IndexError(f"download_artifact: item {slice} of {artifact!r} left no output (items {positions})")
            parts = [parts[positions.index(slice) if artifact.positions is not None else slice]]
        elif isinstance(parts[0].layout, list):
            parts = [ArtifactPart(parts[0].tree, parts[0].layout[slice])]
        else:
            raise IndexError(f"download_artifact: slice={slice} but {artifact!r} is not a list artifact")
    dest = Path(path)
    dest.mkdir(parents=True, exist_ok=True)
    out: list[str] = []
    for index, part in enumerate(parts):
        root = dest / dirs[index] if dirs else dest
        rels = [sub_path] if sub_path is not None else layout_paths(part.layout)
        for rel in rels:
            _fetch(part.tree, rel, root, skip_exists)
            out.append(str(root / rel) if rel else str(root))
    return out
