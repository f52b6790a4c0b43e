"""Tar packing and safe unpacking of directory trees.

Packing writes a gzip-compressed tar (level 1: fast, and the ``.tgz`` form Argo and
dflow write), with member names relative to the tree root. Symlinks that stay inside
the tree are kept; links pointing outside are stored as the files they point to, so
the archive is self-contained and unpacks safely anywhere.

Unpacking reads plain, gzip, bzip2 or xz tars (Argo's ``.tgz`` included) and refuses
absolute names, ``..``, device files and links whose target lands outside the
directory, checking each member against what is already on disk (so a chain of
symlinks cannot climb out either).
"""

from __future__ import annotations

import gzip
import os
import tarfile
from pathlib import Path
from typing import IO

from .errors import UnsafeArchiveError

__all__ = ["pack", "unpack"]

_FILTER: dict[str, str] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}


def pack(source: str | Path, archive: str | Path, compress: bool = True) -> None:
    """Write the directory (or single file) ``source`` as a tar file, streamed."""
    source = Path(source)
    with open(archive, "wb") as raw:
        if compress:
            with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz:
                _write_members(source, gz)
        else:
            _write_members(source, raw)


def _write_members(source: Path, out: object) -> None:
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
        if source.is_file():
            tar.add(source, arcname=source.name)
            return
        root = source.resolve()
        for path in sorted(source.rglob("*")):
            arcname = path.relative_to(source).as_posix()
            follow = path.is_symlink() and not _inside(path.resolve(), root)
            if follow and not path.exists():
                continue  # a dangling link to the outside carries nothing
            info = tar.gettarinfo(path.resolve() if follow else path, arcname=arcname)
            if info.isreg():
                with open(path, "rb") as handle:
                    tar.addfile(info, handle)
            elif info.isdir() or info.issym():
                tar.addfile(info)


def unpack(archive: str | Path | IO[bytes], target: str | Path, sub_path: str | None = None) -> None:
    """Extract ``archive`` (a path or a binary file object) into ``target``.

    Only ``sub_path`` and below, if given.
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    wanted = _normalise(sub_path) if sub_path else ""
    with _open_tar(archive) as tar:
        for member in tar:
            name = _normalise(member.name)
            if wanted and name != wanted and not name.startswith(wanted + "/"):
                continue
            _check(member, name, root)
            member.name = name or "."
            tar.extract(member, root, **_FILTER)  # type: ignore[arg-type]


def _open_tar(archive: str | Path | IO[bytes]) -> tarfile.TarFile:
    if isinstance(archive, (str, Path)):
        return tarfile.open(archive, mode="r:*")
    return tarfile.open(fileobj=archive, mode="r:*")


def _normalise(name: str) -> str:
    """Strip ``./`` and trailing slashes; keep anything suspicious for ``_check``."""
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    return "" if name == "." else name.rstrip("/")


def _inside(path: Path | str, root: Path) -> bool:
    return Path(path) == root or root in Path(path).parents


def _refuse(name: str, why: str) -> UnsafeArchiveError:
    return UnsafeArchiveError(f"refusing tar member {name!r}: {why}")


def _check(member: tarfile.TarInfo, name: str, root: Path) -> None:
    """Raise ``UnsafeArchiveError`` if extracting ``member`` could touch anything outside."""
    if member.name.startswith("/") or os.path.isabs(member.name):
        raise _refuse(member.name, "absolute path")
    if ".." in name.split("/"):
        raise _refuse(member.name, "'..' in the path")
    if member.isdev() or member.isfifo():
        raise _refuse(member.name, "device or fifo")
    destination = root / name
    parent = Path(os.path.realpath(destination.parent))
    if not _inside(parent, root) or not _inside(os.path.realpath(destination), root):
        raise _refuse(member.name, "lands outside the target through a link")
    if member.issym():
        if os.path.isabs(member.linkname):
            raise _refuse(member.name, f"symlink to absolute path {member.linkname!r}")
        if not _inside(os.path.realpath(parent / member.linkname), root):
            raise _refuse(member.name, f"symlink {member.linkname!r} escapes the target")
    if member.islnk():
        link = _normalise(member.linkname)
        if os.path.isabs(member.linkname) or ".." in link.split("/"):
            raise _refuse(member.name, f"hard link to {member.linkname!r}")
        if not _inside(os.path.realpath(root / link), root):
            raise _refuse(member.name, f"hard link {member.linkname!r} escapes the target")
