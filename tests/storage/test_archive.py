"""Tar packing round trip and the refusals of unsafe members."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from dflow_like.storage.archive import pack, unpack
from dflow_like.storage.errors import UnsafeArchiveError


def _tar(path: Path, members: list[tuple[str, str, str]]) -> Path:
    """Build a tar from (name, kind, data-or-linkname) triples."""
    with tarfile.open(path, "w") as tar:
        for name, kind, value in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(value)
                tar.addfile(info, io.BytesIO(value.encode()))
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif kind == "sym":
                info.type, info.linkname = tarfile.SYMTYPE, value
                tar.addfile(info)
            elif kind == "hard":
                info.type, info.linkname = tarfile.LNKTYPE, value
                tar.addfile(info)
            elif kind == "dev":
                info.type = tarfile.CHRTYPE
                tar.addfile(info)
    return path


def test_pack_unpack_round_trip(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sub" / "deep").mkdir(parents=True)
    (src / "a.txt").write_text("a")
    (src / "sub" / "deep" / "b.bin").write_bytes(os.urandom(5000))
    (src / "empty").mkdir()
    (src / "inner-link").symlink_to("a.txt")
    outside = tmp_path / "outside.txt"
    outside.write_text("outside")
    (src / "outer-link").symlink_to(outside)
    pack(src, tmp_path / "t.tgz")
    unpack(tmp_path / "t.tgz", tmp_path / "out")
    out = tmp_path / "out"
    assert (out / "a.txt").read_text() == "a"
    assert (out / "sub/deep/b.bin").read_bytes() == (src / "sub/deep/b.bin").read_bytes()
    assert (out / "empty").is_dir()
    assert (out / "inner-link").is_symlink() and os.readlink(out / "inner-link") == "a.txt"
    assert not (out / "outer-link").is_symlink()  # an escaping link is stored as its file
    assert (out / "outer-link").read_text() == "outside"


def test_unpack_sub_path_and_single_file(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "x").mkdir(parents=True)
    (src / "x" / "1.txt").write_text("1")
    (src / "y.txt").write_text("y")
    pack(src, tmp_path / "t.tgz")
    unpack(tmp_path / "t.tgz", tmp_path / "out", sub_path="x")
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == ["1.txt", "x"]
    pack(src / "y.txt", tmp_path / "f.tar", compress=False)
    unpack(tmp_path / "f.tar", tmp_path / "single")
    assert (tmp_path / "single" / "y.txt").read_text() == "y"


def test_unpack_reads_tar_made_by_gnu_tar(tmp_path: Path) -> None:
    """Argo writes ``.tgz`` with the directory's name as the top entry."""
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "r.txt").write_text("r")
    subprocess.run(["tar", "-czf", "argo.tgz", "out"], cwd=tmp_path, check=True)
    unpack(tmp_path / "argo.tgz", tmp_path / "got")
    assert (tmp_path / "got" / "out" / "r.txt").read_text() == "r"


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ([("/etc/evil", "file", "x")], "absolute"),
        ([("../evil", "file", "x")], "'..'"),
        ([("a/../../evil", "file", "x")], "'..'"),
        ([("link", "sym", "/etc")], "absolute"),
        ([("link", "sym", "../outside")], "escapes"),
        ([("d", "dir", ""), ("d/up", "sym", ".."), ("d/up2", "sym", "up/..")], "escapes"),
        ([("s", "dir", ""), ("s/l", "sym", "."), ("s/x", "sym", "l/l/../../..")], "escapes"),
        ([("hard", "hard", "../outside")], "hard link"),
        ([("hard", "hard", "/etc/passwd")], "hard link"),
        ([("dev", "dev", "")], "device"),
    ],
    ids=[
        "absolute",
        "dotdot",
        "nested-dotdot",
        "symlink-absolute",
        "symlink-relative-escape",
        "symlink-chain",
        "symlink-loop-chain",
        "hardlink-relative",
        "hardlink-absolute",
        "device",
    ],
)
def test_unpack_refuses_unsafe_members(tmp_path: Path, members: list[tuple[str, str, str]], why: str) -> None:
    (tmp_path / "outside").write_text("keep")
    archive = _tar(tmp_path / "evil.tar", members)
    target = tmp_path / "target"
    with pytest.raises(UnsafeArchiveError, match=why):
        unpack(archive, target)
    assert (tmp_path / "outside").read_text() == "keep"
    assert not (tmp_path / "evil").exists()


def test_write_through_inside_symlink_is_allowed(tmp_path: Path) -> None:
    archive = _tar(
        tmp_path / "ok.tar",
        [("d", "dir", ""), ("l", "sym", "d"), ("l/f.txt", "file", "via link")],
    )
    unpack(archive, tmp_path / "t")
    assert (tmp_path / "t" / "d" / "f.txt").read_text() == "via link"
