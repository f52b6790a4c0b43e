"""An artifact as the dashboard hands it to a browser: one file as itself, anything else as a zip.

Local and Argo runs go through the same packing, so a step's artifact downloads the
same way whichever engine ran it: the files ``download_artifact`` would place, a single
file under its own name, a directory (or several paths) as ``<artifact>.zip`` holding
the paths relative to where they were placed.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.responses import FileResponse

__all__ = ["artifact_download"]


def artifact_download(name: str, place: Callable[[Path], list[str]]) -> FileResponse:
    """The response for artifact ``name`` whose files ``place(directory)`` puts in a fresh
    directory (returning the placed paths); the scratch space goes once it is sent."""
    tmp = Path(tempfile.mkdtemp(prefix="dflow-like-ui-"))
    cleanup = BackgroundTask(shutil.rmtree, tmp, ignore_errors=True)
    out = tmp / "out"
    try:
        paths = [Path(p) for p in place(out)]
        files = [p for p in paths if p.is_file()] + [f for p in paths if p.is_dir() for f in sorted(p.rglob("*"))]
        files = [f for f in files if f.is_file()]
        if len(files) == 1 and paths == files:
            return FileResponse(files[0], filename=files[0].name, background=cleanup)
        archive = tmp / f"{name}.zip"
        with zipfile.ZipFile(archive, "w", strict_timestamps=False) as zf:  # a file from before 1980 zips as 1980
            for f in files:
                zf.write(f, f.relative_to(out))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return FileResponse(archive, filename=archive.name, background=cleanup)
