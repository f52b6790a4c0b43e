"""Tar packing and safe unpacking of directory trees.

Packing writes a gzip-compressed tar (level 1: fast, and the ``.tgz`` form Argo and
dflow write), with member names relative to the tree root. Symlinks that stay inside
the tree are kept; links pointing outside are stored as the files they point to, so
the archive is self-contained and unpacks safely anywhere.

Unpacking reads plain, gzip, bzip2 or xz tars (Argo's ``.tgz`` included) and refuses
absolute names, ``..``, device files and links whose target lands outside the
directory, checking each member against what is already on disk (so a chain of
symlinks cannot climb out either). Unpacking is all or nothing and bounded: limits on
the member count and total size (``ArchiveLimits``) refuse a tar bomb from its headers,
and a refused, truncated or garbage archive raises our error and leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import gzip
import lzma
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .._config import config
from .errors import ArchiveLimitError, CorruptArchiveError, UnsafeArchiveError

__all__ = ["ArchiveLimits", "pack", "unpack"]

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


@dataclass(frozen=True)
class ArchiveLimits:
    """Most members and bytes (sum of member sizes) one archive may unpack to.

    A tar bomb (millions of members, or a 1 GiB file of zeros gzipped to 1 MB) is refused
    from its headers, before its data is written. Defaults come from ``config``
    (``archive_max_members``, ``archive_max_bytes``; env ``DFLOW_LIKE_ARCHIVE_MAX_...``).
    """

    members: int
    bytes: int

    @classmethod
    def configured(cls) -> ArchiveLimits:
        return cls(int(config["archive_max_members"]), int(config["archive_max_bytes"]))


def unpack(
    archive: str | Path | IO[bytes],
    target: str | Path,
    sub_path: str | None = None,
    *,
    limits: ArchiveLimits | None = None,
    name: str | None = None,
) -> None:
    """Extract ``archive`` (a path or a binary file object) into ``target``.

    Only ``sub_path`` and below, if given. All or nothing: members are extracted into a
    staging directory inside ``target`` and moved into place only when the whole archive
    was read, so a refused, truncated or corrupt archive leaves ``target`` as it was.
    ``name`` (e.g. the object key) labels errors; ``limits`` defaults to the configured ones.
    """
    label = name or (str(archive) if isinstance(archive, (str, Path)) else "archive")
    limits = limits or ArchiveLimits.configured()
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    wanted = _normalise(sub_path) if sub_path else ""
    free = shutil.disk_usage(root).free
    staging = Path(tempfile.mkdtemp(prefix=".dflow-like-unpack-", dir=root))
    try:
        with _reading(label), _open_tar(archive) as tar:
            count = total = 0
            for member in tar:
                count += 1
                total += member.size if member.isreg() else 0
                if count > limits.members:
                    raise ArchiveLimitError(
                        f"archive {label!r} has more than {limits.members} members (config 'archive_max_members')"
                    )
                if total > limits.bytes:
                    raise ArchiveLimitError(
                        f"archive {label!r} unpacks to more than {limits.bytes} bytes (config 'archive_max_bytes')"
                    )
                if total > free:
                    raise ArchiveLimitError(f"archive {label!r} unpacks to more than the {free} bytes free in {root}")
                member_name = _normalise(member.name)
                if wanted and member_name != wanted and not member_name.startswith(wanted + "/"):
                    continue
                _check(member, member_name, root)  # what is already on disk (links left there)
                _check(member, member_name, staging)  # what this archive made so far (link chains)
                member.name = member_name or "."
                tar.extract(member, staging, **_FILTER)  # type: ignore[arg-type]
        _merge(staging, root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def _reading(label: str) -> Iterator[None]:
    """Turn the many ways a broken archive fails (tarfile, gzip, bz2, lzma) into one error."""
    try:
        yield
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError) as exc:
        raise CorruptArchiveError(f"archive {label!r} is truncated or not a tar archive: {exc}") from None
    except OSError as exc:
        if exc.errno is not None:  # a real I/O error (disk full...), not bad data
            raise
        raise CorruptArchiveError(f"archive {label!r} is truncated or not a tar archive: {exc}") from None


def _merge(staging: Path, root: Path) -> None:
    """Move what was staged into ``root``, merging into directories that already exist."""
    for entry in os.scandir(staging):
        source = Path(entry.path)
        destination = root / entry.name
        if entry.is_dir(follow_symlinks=False) and destination.is_dir() and not destination.is_symlink():
            _merge(source, destination)
            continue
        if destination.is_dir() and not destination.is_symlink():
            shutil.rmtree(destination)
        os.replace(source, destination)


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
