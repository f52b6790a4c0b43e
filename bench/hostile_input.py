"""Figures for hostile input (issue 13): log streaming, expression fuzz, tar bombs, runaway expressions.

    python bench/hostile_input.py            # streamed `dflow-like logs` only
    python bench/hostile_input.py --compare  # also the old whole-file read (needs ~3 GiB of memory)

Prints the peak RSS of printing a 1 GiB log, the escapes and time of 10,000 random
expressions, the time to refuse a 1 GiB gzip bomb, and how long runaway expressions take
to fail. Files are sparse or in a temporary directory; nothing is left behind.
"""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from dflow_like.expr import ExpressionError, check_syntax, evaluate, evaluate_when, render
from dflow_like.storage import ArchiveLimitError
from dflow_like.storage.archive import ArchiveLimits, unpack

STREAMED = (
    "import resource, sys; from dflow_like.cli.logfile import copy_log; "
    "copy_log(sys.argv[1], open('/dev/null', 'wb')); "
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)"
)
OLD = (  # what `dflow-like logs` did before: read the whole file as text
    "import resource, sys; sys.stdout.write(open(sys.argv[1], encoding='utf-8', errors='replace').read()[:0]); "
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)"
)
TOKENS = [
    *"0123456789.,()[]{}+-*/%<>=!?:#&|~'\" ", "1e999", "9" * 30, "true", "nil", "in", "matches", "==", "&&",
    "**", "..", "??", "=~", "'(a+)+$'", "'('", "[1]", "{'k': 1}", "a", "sprig.repeat", "sprig.until", "map",
    "len", "asInt", "toJson", "fromJSON", "{{", "}}", "{{=", "((((((((", "+1+1+1+1+1+1+1+1",
]  # fmt: skip


def logs(compare: bool) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "log.txt"
        with open(log, "wb") as fh:
            fh.truncate(1 << 30)
        for label, code in [("streamed", STREAMED)] + ([("old: whole file", OLD)] if compare else []):
            start = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", code, str(log)], capture_output=True, text=True, check=True)
            took = time.perf_counter() - start
            print(f"logs, 1 GiB log, {label}: peak RSS {out.stdout.split()[-1]} MiB, {took:.2f} s")


def _entry(which: int, body: str, scope: dict[str, object]) -> None:
    if which == 0:
        check_syntax(body, when=True)
    elif which == 1:
        evaluate_when(body, scope)
    elif which == 2:
        render("{{=" + body + "}}", scope)
    else:
        evaluate(body, scope)


def fuzz(count: int = 10_000) -> None:
    rng = random.Random(13)
    scope = {"a": 1, "inputs": {"parameters": {"x": "5"}}}
    escapes = 0
    start = time.perf_counter()
    for _ in range(count):
        body = "".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 12)))
        for entry in range(4):
            try:
                _entry(entry, body, scope)
            except ExpressionError:
                pass
            except Exception:  # an escape
                escapes += 1
    took = time.perf_counter() - start
    print(f"expression fuzz: {count} inputs x 4 entry points, {escapes} escapes, {took:.2f} s")


class _Zeros(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def bomb() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "bomb.tgz"
        with tarfile.open(path, "w:gz", compresslevel=9) as tar:
            info = tarfile.TarInfo("zeros")
            info.size = 1 << 30
            tar.addfile(info, _Zeros(info.size))
            for i in range(20_000):
                member = tarfile.TarInfo(f"m/{i}")
                tar.addfile(member, io.BytesIO())
        start = time.perf_counter()
        try:
            unpack(path, Path(scratch) / "out", limits=ArchiveLimits(members=10_000, bytes=256 << 20))
        except ArchiveLimitError as exc:
            took = time.perf_counter() - start
            left = sum(1 for _ in (Path(scratch) / "out").rglob("*"))
            print(f"tar bomb ({path.stat().st_size >> 10} KiB -> 1 GiB + 20,000 members): refused in {took:.3f} s, "
                  f"{left} files left: {exc}")  # fmt: skip


def runaway() -> None:
    for text in [
        "{{=len(1..100000000000)}} > 0",
        "{{=len(sprig.repeat(100000000000, 'x'))}} > 0",
        "'" + "a" * 40 + "b' =~ '(a+)+$'",
        "{{=len(map(1..1000000, map(1..1000000, #))) > 0}}",
    ]:
        start = time.perf_counter()
        try:
            result: object = evaluate_when(text, {})
        except ExpressionError as exc:
            result = f"ExpressionError: {str(exc)[:70]}"
        print(f"runaway {text[:45]!r}: {time.perf_counter() - start:.3f} s -> {result}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    logs("--compare" in sys.argv)
    fuzz()
    bomb()
    runaway()
