"""Copy a step's log to a stream in constant memory, whole or only its last lines.

Logs can be gigabytes (a chatty simulation): reading one whole to print it cost its
size twice over in memory. Here the bytes go through in blocks, undecoded (like ``cat``),
and ``--tail N`` reads backwards from the end only as far as the N-th last line.
"""

from __future__ import annotations

import os
import shutil
from typing import BinaryIO

__all__ = ["BLOCK", "copy_log", "tail_offset"]

BLOCK = 1 << 20


def tail_offset(fh: BinaryIO, lines: int, block: int = BLOCK) -> int:
    """Offset where the last ``lines`` lines of ``fh`` start (a final newline ends a line, starts none)."""
    end = fh.seek(0, os.SEEK_END)
    if lines <= 0 or end == 0:
        return end
    fh.seek(end - 1)
    wanted = lines + 1 if fh.read(1) == b"\n" else lines  # newlines to pass, counting the final one
    position = end
    while position > 0:
        start = max(0, position - block)
        fh.seek(start)
        chunk = fh.read(position - start)
        at = len(chunk)
        while wanted:
            at = chunk.rfind(b"\n", 0, at)
            if at < 0:
                break
            wanted -= 1
            if not wanted:
                return start + at + 1
        position = start
    return 0


def copy_log(path: str, out: BinaryIO, tail: int | None = None) -> None:
    """Write the log at ``path`` (or its last ``tail`` lines) to ``out``, block by block."""
    with open(path, "rb") as fh:
        if tail is not None:
            fh.seek(tail_offset(fh, tail))
        shutil.copyfileobj(fh, out, BLOCK)
