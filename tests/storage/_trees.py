"""Helpers shared by the tree tests: build a staging dir from a layout and compare."""

from __future__ import annotations

import os
from pathlib import Path

from dflow_like.artifacts import Layout, layout_paths


def make_tree(root: Path) -> dict[str, Layout]:
    """Files for each layout shape (a file, a directory, a list, a dict); returns layouts."""
    (root / "one.txt").write_text("one")
    (root / "dir" / "nested").mkdir(parents=True)
    (root / "dir" / "nested" / "data.bin").write_bytes(os.urandom(3000))
    (root / "dir" / "top.txt").write_text("top")
    for i in range(3):
        (root / f"item{i}.txt").write_text(f"item {i}")
    (root / "d").mkdir()
    (root / "d" / "energy.dat").write_text("-1.5")
    (root / "d" / "forces.dat").write_text("0 0 0")
    return {
        "file": "one.txt",
        "directory": "dir",
        "list": [f"item{i}.txt" for i in range(3)],
        "dict": {"energy": "d/energy.dat", "forces": "d/forces.dat"},
    }


def same_files(a: Path, b: Path, layout: Layout) -> None:
    """Every path the layout names has the same content under ``a`` and ``b``."""
    for rel in layout_paths(layout):
        pa, pb = a / rel, b / rel
        assert pb.exists(), rel
        if pa.is_dir():
            files_a = sorted(p.relative_to(pa) for p in pa.rglob("*") if p.is_file())
            files_b = sorted(p.relative_to(pb) for p in pb.rglob("*") if p.is_file())
            assert files_a == files_b
            for f in files_a:
                assert (pa / f).read_bytes() == (pb / f).read_bytes()
        else:
            assert pa.read_bytes() == pb.read_bytes()
