"""Stand-ins for container images: bare virtual environments of the system Python.

``python3 -m venv`` without system site-packages has the standard library only, as a
stock ``python:3.x`` image does, and no dflow_like: a pod that imports our package
must have got it from the run's bundle. An image with scientific packages (the
``IMAGES`` table, mirroring ``docker/Dockerfile``) is the same bare venv plus links to
exactly those distributions from the test interpreter, so making one costs no download.

The environments live outside ``/tmp`` (under ``/var/tmp`` by default): each pod gets
its own ``/tmp``, which would hide an interpreter stored there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

__all__ = ["Image", "make_image"]


@dataclass(frozen=True)
class Image:
    """An interpreter standing in for a container image: ``python`` is its ``python3``."""

    name: str
    root: Path
    distributions: tuple[str, ...] = field(default=())

    @property
    def bin(self) -> Path:
        return self.root / "bin"


def _site_packages(venv: Path) -> Path:
    rel = Path(sysconfig.get_path("purelib")).relative_to(sysconfig.get_path("data"))
    return venv / rel


def _top_level_entries(dist: metadata.Distribution) -> set[str]:
    """The importable entries (packages, modules, ``*.libs``) a distribution installed."""
    entries: set[str] = set()
    for file in dist.files or []:
        first = Path(str(file)).parts[0]
        if first.endswith((".dist-info", ".data")) or first in ("..", "__pycache__") or first.startswith("bin"):
            continue
        entries.add(first)
    return entries


def _requirements(name: str, seen: set[str]) -> None:
    """``name`` and everything it needs (non-extra requirements), recursively."""
    key = name.lower().replace("_", "-")
    if key in seen:
        return
    seen.add(key)
    dist = metadata.distribution(name)
    for req in dist.requires or []:
        if "extra ==" in req:
            continue
        dep = req.split(";")[0].strip()
        for stop in "<>=!~[ (":
            dep = dep.split(stop)[0]
        try:
            metadata.distribution(dep)
        except metadata.PackageNotFoundError:
            continue
        _requirements(dep, seen)


def make_image(name: str, base: Path, distributions: tuple[str, ...] = ()) -> Image:
    """A bare venv at ``base/<name>`` holding ``distributions`` (and their dependencies)."""
    root = base / name.replace("/", "_").replace(":", "_")
    if root.exists():
        shutil.rmtree(root)
    # From the test interpreter: venv builds on its base Python (same version and ABI as
    # the distributions linked in below), never on its site-packages.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    site = _site_packages(root)
    needed: set[str] = set()
    for dist in distributions:
        _requirements(dist, needed)
    for dist_name in sorted(needed):
        dist = metadata.distribution(dist_name)
        origin = Path(str(dist.locate_file("")))
        for entry in _top_level_entries(dist):
            source = origin / entry
            if source.exists() and not (site / entry).exists():
                _place(source, site / entry)
    return Image(name, root, tuple(sorted(needed)))


def _place(source: Path, dest: Path) -> None:
    """A link to ``source``, or (where a pod's own ``/tmp`` would hide it, e.g. a checkout
    under ``/tmp``) a copy of it made of hard links, falling back to real copies."""
    if not source.resolve().is_relative_to("/tmp"):
        os.symlink(source, dest)
    elif source.is_dir():
        shutil.copytree(source, dest, symlinks=True, copy_function=_link_or_copy)
    else:
        _link_or_copy(str(source), str(dest))


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system
        shutil.copy2(src, dst)
