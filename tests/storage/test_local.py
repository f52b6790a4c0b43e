"""The directory store and trees on it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dflow_like.artifacts import StoredTree
from dflow_like.storage import (
    ChecksumMismatch,
    LocalStorageClient,
    ObjectNotFound,
    StorageClient,
    StorageError,
    client_for_tree,
    get_tree,
    put_tree,
)
from tests.storage._trees import make_tree, same_files


def test_local_client_protocol(tmp_path: Path) -> None:
    client = LocalStorageClient(tmp_path / "store")
    assert isinstance(client, StorageClient)
    src = tmp_path / "f.txt"
    src.write_text("hello")
    client.upload("a/b/f.txt", str(src))
    client.upload("a/c.txt", str(src))
    assert client.list("a/") == ["a/b/", "a/c.txt"]
    assert client.list("a/", recursive=True) == ["a/b/f.txt", "a/c.txt"]
    assert client.list("a/c") == ["a/c.txt"]
    client.copy("a", "z")
    assert client.list("z/", recursive=True) == ["z/b/f.txt", "z/c.txt"]
    client.download("z/b/f.txt", str(tmp_path / "out" / "g.txt"))
    assert (tmp_path / "out" / "g.txt").read_text() == "hello"
    assert client.get_md5("a/c.txt") == "5d41402abc4b2a76b9719d911017c592"
    assert client.checksum("a/c.txt") == "9a71bb4c"  # CRC32C of b"hello"
    assert not list((tmp_path / "store").rglob("*.part"))
    with pytest.raises(ObjectNotFound):
        client.download("missing", str(tmp_path / "x"))
    with pytest.raises(StorageError):
        client.path("../escape")


@pytest.mark.parametrize("sub", [None, "dir", "d/energy.dat"])
def test_local_tree_round_trip(tmp_path: Path, sub: str | None) -> None:
    src = tmp_path / "src"
    src.mkdir()
    layouts = make_tree(src)
    tree = put_tree(LocalStorageClient(tmp_path / "store"), src, "run/step/out")
    assert tree == StoredTree("local", str(tmp_path / "store/run/step/out"), None)
    assert isinstance(client_for_tree(tree), LocalStorageClient)
    got = get_tree(tree, tmp_path / "dst", sub_path=sub)
    if sub is None:
        for layout in layouts.values():
            same_files(src, tmp_path / "dst", layout)
    else:
        assert got == tmp_path / "dst" / sub
        same_files(src, tmp_path / "dst", sub)
        assert not (tmp_path / "dst" / "one.txt").exists()


def test_local_tree_missing(tmp_path: Path) -> None:
    with pytest.raises(ObjectNotFound):
        get_tree(StoredTree("local", str(tmp_path / "nope")), tmp_path / "dst")


class _PlainSha256Client(LocalStorageClient):
    """A plugin client written for the older ``checksum`` definition (plain SHA-256)."""

    def checksum(self, key: str) -> str:
        return hashlib.sha256(self.path(key).read_bytes()).hexdigest()


class _WrongChecksumClient(LocalStorageClient):
    def checksum(self, key: str) -> str:
        return "0" * 64


def test_tree_verification_accepts_old_checksums_and_refuses_wrong_ones(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "f.txt").write_text("data")
    tree = put_tree(_PlainSha256Client(tmp_path / "old"), tmp_path / "src", "k")
    get_tree(tree, tmp_path / "dst", client=_PlainSha256Client(tree.key))
    assert (tmp_path / "dst" / "f.txt").read_text() == "data"
    with pytest.raises(ChecksumMismatch, match="CRC32C of the local file differs"):
        put_tree(_WrongChecksumClient(tmp_path / "bad"), tmp_path / "src", "k")
