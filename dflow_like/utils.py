"""dflow's helpers (``dflow.utils``) that make sense here, with dflow's names and arguments.

Programs (and OPs) import these from ``dflow.utils``: ``run_command``, ``set_directory``,
``randstr``, ``copy_file``, ``linktree``, the artifact catalog helpers, and
``upload_artifact``/``download_artifact``. dflow's S3 plumbing (``upload_s3``,
``download_s3``, ``copy_s3``, ``MinioClient``) is not here: our storage clients are.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ._transfer import download_artifact, upload_artifact
from .artifacts import ArtifactRef, Layout

__all__ = [
    "CommandError",
    "catalog_of_artifact",
    "copy_artifact",
    "copy_file",
    "download_artifact",
    "linktree",
    "path_list_of_artifact",
    "path_object_of_artifact",
    "randstr",
    "run_command",
    "set_directory",
    "upload_artifact",
]


class CommandError(AssertionError):
    """``run_command(..., raise_error=True)`` failed. dflow raises ``AssertionError`` there
    (an ``assert``); this is one, so ``except AssertionError`` still catches it."""


def randstr(length: int = 5) -> str:
    """Random lowercase letters and digits (dflow's ``randstr``)."""
    import random

    return "".join(random.choices(string.digits + string.ascii_lowercase, k=length))


@contextlib.contextmanager
def set_directory(dirname: str | os.PathLike[str], mkdir: bool = False) -> Iterator[Path]:
    """Work in ``dirname`` inside the block (made first with ``mkdir=True``); yields its absolute path."""
    previous = os.getcwd()
    path = Path(dirname).resolve()
    if mkdir:
        path.mkdir(parents=True, exist_ok=True)
    os.chdir(path)
    try:
        yield path
    finally:
        os.chdir(previous)


def _argv(cmd: list[Any] | str, shell: bool, try_bash: bool, login: bool) -> tuple[list[str] | str, bool]:
    if isinstance(cmd, str):
        argv: list[str] = [cmd] if shell else cmd.split()
    else:
        argv = [str(x) for x in cmd]
    if try_bash:
        import shlex

        flag = "-lc" if login else "-c"
        line = " ".join(argv)
        script = f"if command -v bash >/dev/null 2>&1; then bash {flag} {shlex.quote(line)}; else {line}; fi"
        return script, True
    if shell:
        return " ".join(argv), True
    return argv, False


def _stream(proc: subprocess.Popen[bytes], stdout: IO[str] | None, stderr: IO[str] | None) -> tuple[str, str]:
    """Collect both streams while echoing each line as it comes."""
    import selectors

    assert proc.stdout is not None and proc.stderr is not None  # both are pipes
    streams: dict[Any, tuple[list[str], IO[str] | None]] = {proc.stdout: ([], stdout), proc.stderr: ([], stderr)}
    with selectors.DefaultSelector() as sel:
        for stream in streams:
            sel.register(stream, selectors.EVENT_READ)
        open_streams = len(streams)
        while open_streams:
            for key, _ in sel.select():
                source: Any = key.fileobj
                line = source.readline().decode(errors="replace")
                if not line:
                    sel.unregister(source)
                    open_streams -= 1
                    continue
                collected, echo = streams[source]
                collected.append(line)
                if echo is not None:
                    echo.write(line)
                    echo.flush()
    return "".join(streams[proc.stdout][0]), "".join(streams[proc.stderr][0])


def run_command(
    cmd: list[Any] | str,
    raise_error: bool = True,
    input: str | None = None,
    try_bash: bool = False,
    login: bool = True,
    interactive: bool = True,
    shell: bool = False,
    print_oe: bool = False,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    **kwargs: Any,
) -> tuple[int, str, str]:
    """Run a command; returns ``(return_code, stdout, stderr)`` (dflow's ``run_command``).

    A string is split on whitespace unless ``shell=True``; ``try_bash`` runs it through
    ``bash -lc`` when bash exists; ``print_oe`` (or ``stdout``/``stderr`` streams) echoes
    output while it runs. With ``raise_error`` a non-zero exit raises ``CommandError``
    naming the command and its stderr. Other keywords go to ``subprocess.Popen``.
    """
    if print_oe:
        stdout, stderr = sys.stdout, sys.stderr
    args, use_shell = _argv(cmd, shell, try_bash, login and interactive)
    with subprocess.Popen(
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, shell=use_shell, **kwargs
    ) as proc:
        if stdout is not None or stderr is not None:
            assert proc.stdin is not None
            if input is not None:
                proc.stdin.write(input.encode())
            proc.stdin.close()
            out, err = _stream(proc, stdout, stderr)
            proc.wait()
        else:
            raw_out, raw_err = proc.communicate(input.encode() if input is not None else None)
            out, err = raw_out.decode(errors="replace"), raw_err.decode(errors="replace")
        code = proc.returncode
    if raise_error and code != 0:
        raise CommandError(f"command {args!r} failed with exit code {code}:\n{err}")
    return code, out, err


def _try_link(src: str, dst: str) -> None:
    try:
        if os.path.isfile(dst):
            os.remove(dst)
        os.link(os.path.realpath(src), dst)
    except OSError:
        shutil.copy(src, dst)


def copy_file(src: str | os.PathLike[str], dst: str | os.PathLike[str], func: Any = _try_link) -> None:
    """Copy a file or a directory tree (hard links where possible), making ``dst``'s parent."""
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    if os.path.isdir(src):
        shutil.copytree(src, dst, copy_function=func, dirs_exist_ok=True)
    elif os.path.isfile(src):
        func(str(src), str(dst))
    else:
        raise FileNotFoundError(f"copy_file: {src} not found")


def _force_link(src: str, dst: str, func: Any = os.symlink) -> None:
    if os.path.lexists(dst):
        if os.path.exists(dst) and os.path.samefile(src, dst):
            return
        os.remove(dst)
    func(src, dst)


def linktree(src: str | os.PathLike[str], dst: str | os.PathLike[str], func: Any = os.symlink) -> None:
    """Mirror ``src``'s directories under ``dst`` with each file a link (symlink by default)."""
    for root, _dirs, files in os.walk(src):
        target = os.path.join(dst, os.path.relpath(root, src))
        os.makedirs(target, exist_ok=True)
        for name in files:
            _force_link(os.path.abspath(os.path.join(root, name)), os.path.join(target, name), func)


def _items(layout: Layout, prefix: str) -> list[tuple[str, str]]:
    """(order, path) of each path a layout names; order is dflow's flattened key (``0``, ``a.1``)."""
    if layout is None:
        return [(prefix or "0", "")]
    if isinstance(layout, str):
        return [(prefix or "0", layout)]
    entries = layout.items() if isinstance(layout, dict) else enumerate(layout)
    return [item for key, value in entries for item in _items(value, f"{prefix}.{key}" if prefix else str(key))]


def catalog_of_artifact(art: ArtifactRef, **kwargs: object) -> list[dict[str, Any]]:
    """Each path of an artifact with its position: ``[{"dflow_list_item": path, "order": i}, ...]``.

    dflow reads this catalog from ``.dflow`` files stored with the artifact
    (``catalog_of_artifact``, ``dflow/utils.py``); ours comes from the artifact's layout.
    Positions are integers for a list (a gathered slice output counts its items in
    order) and dflow's dotted keys (``"a"``, ``"a.0"``) for a dict.
    """
    _require_artifact(art, "catalog_of_artifact")
    parts = art.parts
    if art.gathered or len(parts) > 1:
        flat = [p for part in parts for _, p in _items(part.layout, "")]
        return [{"dflow_list_item": path, "order": i} for i, path in enumerate(flat)]
    if not parts:
        return []
    items = _items(parts[0].layout, "")
    if isinstance(parts[0].layout, dict):
        return [{"dflow_list_item": path, "order": order} for order, path in items]
    return [{"dflow_list_item": path, "order": i} for i, (_, path) in enumerate(items)]


def path_list_of_artifact(art: ArtifactRef, **kwargs: object) -> list[str]:
    """The artifact's relative paths in order (dflow's ``path_list_of_artifact``)."""
    return [item["dflow_list_item"] for item in catalog_of_artifact(art)]


def path_object_of_artifact(art: ArtifactRef, **kwargs: object) -> Any:
    """The artifact's relative paths shaped as the OP returned them: a list, or a dict for a dict."""
    _require_artifact(art, "path_object_of_artifact")
    if len(art.parts) == 1 and not art.gathered and isinstance(art.parts[0].layout, dict):
        return art.parts[0].layout
    return path_list_of_artifact(art)


def copy_artifact(src: ArtifactRef, dst: ArtifactRef, sort: bool = False, **kwargs: object) -> ArtifactRef:
    """Add ``src``'s files to ``dst``, after its own; returns ``dst`` (dflow's ``copy_artifact``).

    dflow copies ``src``'s objects into ``dst``'s storage key, so everything holding ``dst``
    sees both (``sort=True`` numbers ``src``'s paths after ``dst``'s). Stored files are never
    rewritten here: ``dst`` (this object, as held by your steps' arguments too) now names
    ``src``'s stored parts after its own, always in that order — with ``sort=False``
    dflow may interleave the two path lists; we never do. Nothing is copied.
    """
    _require_artifact(src, "copy_artifact")
    _require_artifact(dst, "copy_artifact")
    # ArtifactRef is frozen for hashing's sake; this is the one sanctioned in-place change.
    object.__setattr__(dst, "parts", dst.parts + src.parts)
    object.__setattr__(dst, "gathered", True)
    return dst


def _require_artifact(art: Any, fn: str) -> None:
    if not isinstance(art, ArtifactRef):
        raise TypeError(
            f"{fn}: expected a stored artifact (a step record's output or upload_artifact()), "
            f"got {type(art).__name__} {art!r:.60}"
        )
