"""``LocalStorageClient``: the protocol on a plain directory (the default store).

Keys are ``/``-separated paths under ``root``. Writes go to a temp file that is
renamed into place, so a reader never sees a half-written object.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ._files import atomic_path
from ._hashing import content_checksum, file_digest
from .errors import ObjectNotFound, StorageError

__all__ = ["LocalStorageClient"]

_Keys = list[str]  # the method named ``list`` shadows the builtin inside the class


class LocalStorageClient:
    """A ``StorageClient`` whose objects are files under ``root``."""

    verifies_transfers = False  # a local copy has no stored digest to check against

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).absolute()

    def __repr__(self) -> str:
        return f"LocalStorageClient({str(self.root)!r})"

    def path(self, key: str) -> Path:
        """The file behind ``key``; refuses keys that climb out of ``root``."""
        parts = [p for p in key.split("/") if p not in ("", ".")]
        if ".." in parts:
            raise StorageError(f"key {key!r} leaves the store root {self.root}")
        return self.root.joinpath(*parts)

    def upload(self, key: str, path: str) -> None:
        with atomic_path(self.path(key)) as temp:
            shutil.copyfile(path, temp)

    def remove(self, key: str) -> None:
        """Delete ``key``'s file (absent: nothing to do); the step cache uses it."""
        self.path(key).unlink(missing_ok=True)

    def download(self, key: str, path: str) -> None:
        source = self._existing(key)
        with atomic_path(path) as temp:
            shutil.copyfile(source, temp)

    def list(self, prefix: str, recursive: bool = False) -> _Keys:
        """Keys starting with ``prefix``; without ``recursive``, one level (dirs end in ``/``)."""
        head, _, stem = prefix.rpartition("/")
        base = self.path(head)
        if not base.is_dir():
            return []
        keys: _Keys = []
        for entry in sorted(base.iterdir()):
            if not entry.name.startswith(stem) or entry.name.endswith(".part"):
                continue
            key = f"{head}/{entry.name}" if head else entry.name
            if entry.is_dir():
                keys.extend(self._walk(entry, key) if recursive else [key + "/"])
            else:
                keys.append(key)
        return keys

    def _walk(self, directory: Path, key: str) -> _Keys:
        found: _Keys = []
        for entry in sorted(directory.rglob("*")):
            if entry.is_file() and not entry.name.endswith(".part"):
                found.append(key + "/" + entry.relative_to(directory).as_posix())
        return found

    def copy(self, src: str, dst: str) -> None:
        source = self._existing(src)
        if source.is_dir():
            for key in self._walk(source, ""):
                self.upload(dst.rstrip("/") + key, str(source / key.lstrip("/")))
        else:
            self.upload(dst, str(source))

    def get_md5(self, key: str) -> str:
        return file_digest(self._existing(key), "md5")

    def checksum(self, key: str) -> str:
        return content_checksum(self._existing(key))

    def _existing(self, key: str) -> Path:
        path = self.path(key)
        if not path.exists():
            raise ObjectNotFound(f"no object {key!r} in {self.root}")
        return path
