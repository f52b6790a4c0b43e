"""The end of a step's log, read from the end of the file (cost independent of its size)."""

from __future__ import annotations

import os

__all__ = ["tail"]


def tail(path: str | None, lines: int = 20, max_bytes: int = 16384) -> str:
    """The last ``lines`` lines of the file at ``path`` ('' when there is none yet)."""
    if not path:
        return ""
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - max_bytes))
            data = fh.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])
