"""Hostile artifacts: tar bombs, broken archives, object keys that climb out of the folder.

Before: 20,000 members or a 1 GiB member from ~1 MB were extracted without limit; a
refused or truncated archive left what it had extracted so far; garbage raised raw
``tarfile.ReadError``/``EOFError``; an ``archive=None`` object key holding ``..`` was
written outside the download folder.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from dflow_like import config
from dflow_like.artifacts import StoredTree
from dflow_like.storage import (
    ArchiveLimitError,
    CorruptArchiveError,
    LocalStorageClient,
    UnsafeArchiveError,
    get_tree,
)
from dflow_like.storage.archive import ArchiveLimits, pack, unpack


class _Zeros(io.RawIOBase):
    """``size`` zero bytes, read lazily (a bomb's payload without holding it in memory)."""

    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def _bomb(path: Path, small: int = 0, big: int = 0, compress: bool = True) -> Path:
    """A tar with ``small`` one-byte members, then one member of ``big`` zero bytes."""
    options = {"mode": "w:gz", "compresslevel": 1} if compress else {"mode": "w"}
    with tarfile.open(path, **options) as tar:  # type: ignore[call-overload]
        for i in range(small):
            info = tarfile.TarInfo(f"d/f{i}")
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
        if big:
            info = tarfile.TarInfo("d/big")
            info.size = big
            tar.addfile(info, _Zeros(big))
    return path


def _listing(path: Path) -> list[str]:
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*"))


def _existing_target(tmp_path: Path) -> Path:
    target = tmp_path / "target"
    (target / "d").mkdir(parents=True)
    (target / "d" / "f0").write_text("mine")
    return target


def test_member_count_limit_refuses_and_leaves_nothing(tmp_path: Path) -> None:
    config["archive_max_members"] = 300
    archive = _bomb(tmp_path / "many.tgz", small=500)
    target = _existing_target(tmp_path)
    with pytest.raises(ArchiveLimitError, match=r"has more than 300 members \(config 'archive_max_members'\)"):
        unpack(archive, target)
    assert _listing(target) == ["d", "d/f0"]  # not the 300 members read before the refusal
    assert (target / "d" / "f0").read_text() == "mine"


def test_size_limit_refuses_a_compressed_bomb_from_its_header(tmp_path: Path) -> None:
    archive = _bomb(tmp_path / "bomb.tgz", small=5, big=64 << 20)
    assert archive.stat().st_size < 1 << 20  # 64 MiB of zeros in well under 1 MiB
    config["archive_max_bytes"] = 16 << 20
    target = _existing_target(tmp_path)
    with pytest.raises(ArchiveLimitError, match=r"unpacks to more than 16777216 bytes \(config 'archive_max_bytes'\)"):
        unpack(archive, target)
    assert _listing(target) == ["d", "d/f0"]
    assert shutil.disk_usage(target).free > 0


def test_limits_can_be_given_per_call_and_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = _bomb(tmp_path / "some.tgz", small=20)
    with pytest.raises(ArchiveLimitError):
        unpack(archive, tmp_path / "a", limits=ArchiveLimits(members=10, bytes=1 << 20))
    monkeypatch.setenv("DFLOW_LIKE_ARCHIVE_MAX_MEMBERS", "10")
    with pytest.raises(ArchiveLimitError):
        unpack(archive, tmp_path / "b")
    monkeypatch.setenv("DFLOW_LIKE_ARCHIVE_MAX_MEMBERS", "20")
    unpack(archive, tmp_path / "c")
    assert len(list((tmp_path / "c" / "d").iterdir())) == 20


@pytest.mark.parametrize("compress", [True, False], ids=["tgz", "tar"])
def test_truncated_archive_is_our_error_and_leaves_nothing(tmp_path: Path, compress: bool) -> None:
    whole = _bomb(tmp_path / "whole", small=50, big=256 << 10, compress=compress).read_bytes()
    cut = tmp_path / "cut"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    target = _existing_target(tmp_path)
    with pytest.raises(CorruptArchiveError, match=r"archive '.*cut' is truncated or not a tar archive"):
        unpack(cut, target)
    assert _listing(target) == ["d", "d/f0"]


@pytest.mark.parametrize(
    "data",
    [b"", b"not a tar at all" * 100, gzip.compress(b"gzip, but no tar inside" * 100), b"\x1f\x8b" + os.urandom(2000)],
    ids=["empty", "garbage", "gzip-not-tar", "bad-gzip"],
)
def test_garbage_is_our_error(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "junk").write_bytes(data)
    with pytest.raises(CorruptArchiveError, match="is truncated or not a tar archive"):
        unpack(tmp_path / "junk", tmp_path / "target")
    assert _listing(tmp_path / "target") == []


def test_get_tree_names_the_object_key(tmp_path: Path) -> None:
    """The path steps and ``download_artifact`` take: the error names the stored key."""
    store = LocalStorageClient(tmp_path / "store")
    (tmp_path / "store" / "runs").mkdir(parents=True)
    (tmp_path / "store" / "runs" / "bomb.tgz").write_bytes(_bomb(tmp_path / "b.tgz", big=8 << 20).read_bytes())
    config["archive_max_bytes"] = 1 << 20
    with pytest.raises(ArchiveLimitError, match=r"archive 'runs/bomb\.tgz' unpacks to more than 1048576 bytes"):
        get_tree(StoredTree("s3", "runs/bomb.tgz", "tar"), tmp_path / "got", client=store)
    assert _listing(tmp_path / "got") == []


def test_unpack_still_merges_into_an_existing_folder(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "d").mkdir(parents=True)
    (src / "d" / "new.txt").write_text("new")
    (src / "d" / "f0").write_text("theirs")
    pack(src, tmp_path / "t.tgz")
    target = _existing_target(tmp_path)
    (target / "d" / "keep.txt").write_text("keep")
    unpack(tmp_path / "t.tgz", target)
    assert _listing(target) == ["d", "d/f0", "d/keep.txt", "d/new.txt"]
    assert (target / "d" / "f0").read_text() == "theirs"


# -- archive=None: one object per file ---------------------------------------------------------


class _Keys:
    """A store listing whatever keys it is given (S3 keys are free text: '..' included)."""

    verifies_transfers = True

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.fetched: list[str] = []

    def list(self, prefix: str, recursive: bool = False) -> list[str]:
        return [k for k in self.objects if k.startswith(prefix)]

    def download(self, key: str, path: str) -> None:
        self.fetched.append(key)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(self.objects[key])


@pytest.mark.parametrize(
    "key",
    ["run/../../escaped.txt", "run/a/../../../escaped.txt", "run//abs/escaped.txt", "run/.."],
    ids=["dotdot", "nested-dotdot", "absolute", "bare-dotdot"],
)
def test_untarred_object_keys_stay_in_the_download_folder(tmp_path: Path, key: str) -> None:
    store = _Keys({"run/ok.txt": b"ok", key: b"evil"})
    folder = tmp_path / "deep" / "down"
    with pytest.raises(UnsafeArchiveError, match="would be written outside"):
        get_tree(StoredTree("s3", "run", None), folder, client=store)  # type: ignore[arg-type]
    assert store.fetched == []  # refused before anything is fetched
    assert not list(tmp_path.rglob("escaped.txt"))
    assert not Path("/abs/escaped.txt").exists()


def test_untarred_object_through_a_link_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "down"
    folder.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (folder / "sub").symlink_to(tmp_path / "elsewhere")
    store = _Keys({"run/sub/x.txt": b"evil"})
    with pytest.raises(UnsafeArchiveError, match="through a link"):
        get_tree(StoredTree("s3", "run", None), folder, client=store)  # type: ignore[arg-type]
    assert not (tmp_path / "elsewhere" / "x.txt").exists()
