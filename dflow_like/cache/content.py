"""The content part of a cache key: what an input artifact holds, wherever it is stored.

Two artifacts with the same files (the same relative paths, the same bytes, seen
through the same layout) have the same digest, whichever run made them and where
they lie, so a step downstream of one that ran again but produced the same files
is still a hit. Modification times and store keys do not count.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..artifacts import ArtifactRef, StoredTree, layout_paths
from ..storage._hashing import file_digest

__all__ = ["ContentDigests"]


class ContentDigests:
    """Digests of stored trees, each computed once per process (stored outputs never change)."""

    def __init__(self) -> None:
        self._trees: dict[tuple[str, str, str, str], str] = {}

    def artifact(self, ref: ArtifactRef | None) -> str:
        if ref is None:
            return "none"
        digest = hashlib.sha256()
        shape = {"gathered": ref.gathered, "positions": ref.positions, "item_dirs": ref.item_dirs}
        digest.update(json.dumps(shape, sort_keys=True).encode())
        for part in ref.parts:
            digest.update(json.dumps(part.layout, sort_keys=True).encode())
            for rel in layout_paths(part.layout):
                digest.update(f"{rel}\0{self._tree(part.tree, rel)}\0".encode())
        return digest.hexdigest()

    def _tree(self, tree: StoredTree, rel: str) -> str:
        memo = (tree.storage, tree.bucket, tree.key, rel)
        if memo not in self._trees:
            self._trees[memo] = (
                _local(Path(tree.key) / rel if rel else Path(tree.key))
                if tree.storage == "local"
                else _remote(tree, rel)
            )
        return self._trees[memo]


def _local(path: Path) -> str:
    """Relative names and SHA-256 of every file under ``path`` (or of ``path``, a file)."""
    if path.is_file():
        return file_digest(path, "sha256")
    if not path.is_dir():
        raise FileNotFoundError(f"stored artifact file {path} is missing")
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            full = Path(folder) / name
            digest.update(f"{full.relative_to(path)}\0{file_digest(full, 'sha256')}\0".encode())
    return digest.hexdigest()


def _remote(tree: StoredTree, rel: str) -> str:
    """Object names and the store's checksums (no download); a tar's one checksum covers all of it."""
    from ..storage.trees import client_for_tree

    client = client_for_tree(tree)
    if tree.archive:
        return f"tar {client.checksum(tree.key)} {tree.root} {rel}"
    prefix = tree.key.rstrip("/") + "/" + (rel.strip("/") + "/" if rel else "")
    keys = sorted(client.list(prefix, recursive=True)) or [prefix.rstrip("/")]
    digest = hashlib.sha256()
    for key in keys:
        digest.update(f"{key[len(prefix) :]}\0{client.checksum(key)}\0".encode())
    return digest.hexdigest()
