"""Storage throughput against a real SeaweedFS started here (a script, not a test).

    python bench/storage.py [--size-mb 200] [--small 500] [--repeat 3]

Prints: one large file up/down through ``MinioStorageClient`` vs the raw ``minio``
client (ratio = raw time / our time; target >= 0.9), and many small artifacts fetched
with ``get_trees`` (parallel) vs ``get_tree`` one by one (target >= 4x).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from minio import Minio

from dflow_like.artifacts import StoredTree
from dflow_like.storage import get_tree, get_trees, put_tree
from dflow_like.storage.s3 import MinioStorageClient
from dflow_like.storage.seaweed import SeaweedFS


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _median_pair(ours: Callable[[], object], raw: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Alternate the two so drift in the server hits both equally; report medians."""
    times_ours, times_raw = [], []
    for _ in range(repeat):
        times_raw.append(_timed(raw))
        times_ours.append(_timed(ours))
    return statistics.median(times_ours), statistics.median(times_raw)


def bench_large(server: SeaweedFS, work: Path, size_mb: int, repeat: int) -> None:
    src = work / "large.bin"
    with open(src, "wb") as out:
        for _ in range(size_mb):
            out.write(os.urandom(1 << 20))
    ours = MinioStorageClient(server.endpoint, server.access_key, server.secret_key, bucket="bench")
    ours.ensure_bucket()
    raw = Minio(server.endpoint, server.access_key, server.secret_key, secure=False)
    up = _median_pair(
        lambda: ours.upload("large/ours", str(src)),
        lambda: raw.fput_object("bench", "large/raw", str(src)),
        repeat,
    )
    down = _median_pair(
        lambda: ours.download("large/ours", str(work / "ours.bin")),
        lambda: raw.fget_object("bench", "large/raw", str(work / "raw.bin")),
        repeat,
    )
    for name, (t_ours, t_raw) in (("upload", up), ("download", down)):
        print(
            f"{size_mb} MB {name:8}: ours {t_ours:5.2f} s ({size_mb / t_ours:6.1f} MB/s)  "
            f"raw minio {t_raw:5.2f} s ({size_mb / t_raw:6.1f} MB/s)  ratio {t_raw / t_ours:.2f}"
        )


def bench_small(server: SeaweedFS, work: Path, count: int, repeat: int) -> None:
    client = MinioStorageClient(server.endpoint, server.access_key, server.secret_key, bucket="bench")
    client.ensure_bucket()
    trees: list[StoredTree] = []
    for i in range(count):
        item = work / "items" / f"{i:04d}"
        item.mkdir(parents=True)
        (item / "out.dat").write_bytes(os.urandom(10 * 1024))
        trees.append(put_tree(client, item, f"small/{i:04d}.tgz", archive="tar"))

    def parallel(tag: str) -> None:
        get_trees([(t, work / tag / str(i)) for i, t in enumerate(trees)], client)

    def one_by_one(tag: str) -> None:
        for i, tree in enumerate(trees):
            get_tree(tree, work / tag / str(i), client)

    runs = iter(range(10**6))
    t_par, t_seq = _median_pair(lambda: parallel(f"p{next(runs)}"), lambda: one_by_one(f"s{next(runs)}"), repeat)
    print(
        f"{count} x 10 KB artifacts: parallel {t_par:5.2f} s  one by one {t_seq:5.2f} s  speed-up {t_seq / t_par:.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp, SeaweedFS() as server:
        print(f"SeaweedFS at {server.endpoint} (pid {server.pid}), {os.cpu_count()} CPUs")
        bench_large(server, Path(tmp), args.size_mb, args.repeat)
        bench_small(server, Path(tmp), args.small, args.repeat)


if __name__ == "__main__":
    main()
