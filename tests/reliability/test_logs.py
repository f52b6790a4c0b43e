"""``dflow-like logs`` streams a log in constant memory and offers ``--tail N``.

Before: the whole log was read into memory (2 GiB RSS for a 1 GiB log) and there was
no way to see only its end.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dflow_like import Step, Workflow
from dflow_like.cli.logfile import tail_offset
from dflow_like.python import PythonOPTemplate

from .ops_reliability import Nap


def _logged_run() -> tuple[str, Path]:
    wf = Workflow("logs")
    wf.add(Step("nap", PythonOPTemplate(Nap), parameters={"seconds": 0.0}))
    wf.submit()
    assert wf.wait(timeout=120) == "Succeeded"
    rec = wf.query_step(name="nap")[0]
    assert rec.log_path
    return str(wf.id), Path(str(rec.log_path))


def _cli(*args: str, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "dflow_like.cli", *args], stdout=stdout, stderr=subprocess.PIPE, check=True, timeout=300
    )


# The peak of this process's own memory (VmHWM, in KiB): getrusage's ru_maxrss would also
# hold the pytest process's size at the fork, which Linux carries across execve.
_PEAK = (
    "import sys; from dflow_like.cli import main; code = main(sys.argv[1:]); "
    "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')][0], file=sys.stderr); "
    "sys.exit(code)"
)


def test_a_big_log_streams_in_constant_memory() -> None:
    """256 MiB here (the figure for 1 GiB is in the report); the old code peaked above twice the size."""
    wf_id, log = _logged_run()
    with open(log, "r+b") as fh:  # sparse: no disk, but every byte is read
        fh.truncate(256 << 20)
        fh.seek(0, os.SEEK_END)
        fh.write(b"\nlast words\n")
    with open(os.devnull, "wb") as sink:
        run = subprocess.run(
            [sys.executable, "-c", _PEAK, "logs", wf_id, "nap"], stdout=sink, stderr=subprocess.PIPE, check=True
        )
    peak_mib = int(run.stderr.decode().split()[-1]) // 1024
    assert peak_mib < 128, f"`dflow-like logs` peaked at {peak_mib} MiB for a 256 MiB log"
    tail = _cli("logs", wf_id, "nap", "--tail", "1").stdout.decode()
    assert tail.splitlines()[-1] == "last words"
    assert len(tail) < 1000  # only the header and one line, not 256 MiB of NULs


def test_tail_prints_the_last_lines_of_each_log() -> None:
    wf_id, log = _logged_run()
    log.write_bytes(b"".join(b"line %d\n" % i for i in range(1, 101)))
    out = _cli("logs", wf_id, "--tail", "3").stdout.decode().splitlines()
    assert out[0].startswith("===== nap (Succeeded)")
    assert out[1:] == ["line 98", "line 99", "line 100"]
    assert _cli("logs", wf_id, "nap").stdout.decode().splitlines()[1:] == [f"line {i}" for i in range(1, 101)]


@pytest.mark.parametrize(
    ("data", "lines", "expected"),
    [
        (b"", 3, b""),
        (b"a\nb\nc\n", 2, b"b\nc\n"),
        (b"a\nb\nc", 2, b"b\nc"),  # no final newline: the last line still counts
        (b"a\nb\nc\n", 5, b"a\nb\nc\n"),
        (b"a\nb\nc\n", 0, b""),
        (b"\n\n\n", 2, b"\n\n"),
        (b"x" * 50 + b"\n" + b"y" * 50 + b"\n", 1, b"y" * 50 + b"\n"),
    ],
)
@pytest.mark.parametrize("block", [1, 3, 7, 1 << 20])
def test_tail_offset_across_block_boundaries(data: bytes, lines: int, expected: bytes, block: int) -> None:
    fh = io.BytesIO(data)
    assert data[tail_offset(fh, lines, block) :] == expected
