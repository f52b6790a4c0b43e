"""A 1 GB file goes up and down with memory that does not grow with its size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dflow_like.storage.seaweed import SeaweedFS

pytestmark = [pytest.mark.s3, pytest.mark.slow]

SIZE = 1 << 30
RSS_LIMIT_MB = 250  # 3 parts in flight + 1 being read (16 MiB each), plus ~40 MB of Python

# Run in a child so its peak RSS measures the transfer alone, not the test session.
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child of a big
# pytest process would report the parent's peak.
_CHILD = """
import json, sys, time

def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

from dflow_like.storage.s3 import MinioStorageClient
endpoint, access, secret, bucket, src, dst = sys.argv[1:]
client = MinioStorageClient(endpoint, access, secret, bucket=bucket)
t0 = time.perf_counter(); client.upload("large/1g.bin", src)
rss_up = peak_mb()
t1 = time.perf_counter(); client.download("large/1g.bin", dst)
t2 = time.perf_counter()
rss = peak_mb()
print(json.dumps({"up": t1 - t0, "down": t2 - t1, "rss_up_mb": rss_up, "rss_mb": rss}))
"""


def test_one_gigabyte_bounded_memory(seaweedfs: SeaweedFS, tmp_path: Path) -> None:
    seaweedfs.start()
    src = tmp_path / "1g.bin"
    with open(src, "wb") as out:  # sparse: instant to make, reads as zeros
        out.truncate(SIZE)
        out.seek(SIZE // 2)
        out.write(b"middle")  # one non-zero spot so a wrong offset is caught
    dst = tmp_path / "back.bin"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    args = [seaweedfs.endpoint, seaweedfs.access_key, seaweedfs.secret_key, seaweedfs.bucket]
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args, str(src), str(dst)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(done.stdout)
    print(
        f"\n1 GB: upload {figures['up']:.1f} s, download {figures['down']:.1f} s, peak RSS {figures['rss_mb']:.0f} MB "
        f"({figures['rss_up_mb']:.0f} MB after the upload)"
    )
    assert dst.stat().st_size == SIZE
    with open(dst, "rb") as back:
        back.seek(SIZE // 2)
        assert back.read(6) == b"middle"
    assert figures["rss_mb"] < RSS_LIMIT_MB
