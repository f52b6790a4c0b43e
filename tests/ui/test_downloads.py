"""The dashboard's packing of an artifact for a browser (``ui/downloads.py``)."""

from __future__ import annotations

import asyncio
import os
import zipfile
from pathlib import Path

from dflow_like.ui.downloads import artifact_download


def _place_old_files(out: Path) -> list[str]:
    """A directory artifact whose files carry timestamp 0, as files unpacked from an
    archive made with ``tar --mtime=@0`` (reproducible builds) do."""
    folder = out / "results"
    folder.mkdir(parents=True)
    for name in ("a.txt", "b.txt"):
        (folder / name).write_text(name)
        os.utime(folder / name, (0, 0))
    return [str(folder)]


def test_files_older_than_zip_can_say_still_download(tmp_path: Path) -> None:
    response = artifact_download("results", _place_old_files)  # before: ValueError, an HTTP 500
    with zipfile.ZipFile(response.path) as zf:
        assert sorted(zf.namelist()) == ["results/a.txt", "results/b.txt"]
        assert zf.read("results/b.txt") == b"b.txt"
        assert zf.getinfo("results/a.txt").date_time[0] == 1980  # the earliest a zip can hold
    assert response.background is not None
    asyncio.run(response.background())  # what the server does once the file is sent
    assert not Path(response.path).exists()
