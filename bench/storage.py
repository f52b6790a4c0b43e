"""Storage throughput against a real SeaweedFS started here (a script, not a test).

    python bench/storage.py [--size-mb 200] [--small 500] [--repeat 3] [--latency-ms 5]

Prints: one large file up/down through ``MinioStorageClient`` vs the raw ``minio``
client (ratio = raw time / our time; target >= 0.9), and many small artifacts fetched
with ``get_trees`` (parallel) vs ``get_tree`` one by one (target >= 4x), twice:

- straight to SeaweedFS on loopback (no latency). Client and server share the
  machine's cores, so this measures CPU per artifact more than parallelism; the
  client and server CPU per artifact are printed to show the bound.
- through a latency proxy (a separate process, this file with ``--proxy``) that
  delays every chunk ``--latency-ms`` each way, like ``netem delay`` on both ends
  (round trip = twice that), as a remote object store would. The kernel here has no
  ``netem`` qdisc, hence the proxy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    """Interleave the two so drift in the server hits both equally; report medians.

    Which goes first alternates each round, and dirty pages are flushed before each
    run: otherwise the second of a pair pays the kernel's write-back of the first's
    200 MB, a bias of up to 20% on a 0.2 s download.
    """
    times_ours: list[float] = []
    times_raw: list[float] = []
    for round_ in range(repeat):
        pair = [(raw, times_raw), (ours, times_ours)]
        for action, times in pair if round_ % 2 == 0 else reversed(pair):
            os.sync()
            times.append(_timed(action))
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


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_small(server: SeaweedFS, work: Path, count: int) -> list[StoredTree]:
    client = MinioStorageClient(server.endpoint, server.access_key, server.secret_key, bucket="bench")
    client.ensure_bucket()
    trees: list[StoredTree] = []
    for i in range(count):
        item = work / "items" / f"{i:04d}"
        item.mkdir(parents=True)
        (item / "out.dat").write_bytes(os.urandom(10 * 1024))
        trees.append(put_tree(client, item, f"small/{i:04d}.tgz", archive="tar"))
    return trees


def bench_small(server: SeaweedFS, endpoint: str, trees: list[StoredTree], work: Path, repeat: int, label: str) -> None:
    client = MinioStorageClient(endpoint, server.access_key, server.secret_key, bucket="bench")
    client.ensure_bucket()
    count = len(trees)

    def parallel(tag: str) -> None:
        get_trees([(t, work / tag / str(i)) for i, t in enumerate(trees)], client)

    def one_by_one(tag: str) -> None:
        for i, tree in enumerate(trees):
            get_tree(tree, work / tag / str(i), client)

    runs = iter(range(10**6))
    cpu = {"client": 0.0, "server": 0.0}

    def measured(action: Callable[[str], None]) -> Callable[[], None]:
        def run() -> None:
            client0, server0 = time.process_time(), _cpu_seconds(server.pid)
            action(f"r{next(runs)}")
            cpu["client"] += time.process_time() - client0
            cpu["server"] += _cpu_seconds(server.pid) - server0

        return run

    t_par, t_seq = _median_pair(measured(parallel), measured(one_by_one), repeat)
    per_item = 1000 / (2 * repeat * count)
    print(
        f"{count} x 10 KB artifacts, {label}: parallel {t_par:5.2f} s  one by one {t_seq:5.2f} s  "
        f"speed-up {t_seq / t_par:.1f}x  (CPU per artifact: client {cpu['client'] * per_item:.2f} ms, "
        f"server {cpu['server'] * per_item:.2f} ms)"
    )


# -- a latency-adding TCP proxy, run as a separate process -----------------------------


async def _forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy one direction, each chunk delivered ``delay`` seconds after it arrived."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await queue.get()
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            if not data:
                break
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(deliver())
    try:
        while data := await reader.read(1 << 16):
            queue.put_nowait((loop.time() + delay, data))
    except ConnectionError:
        pass
    queue.put_nowait((loop.time() + delay, b""))
    try:
        await sender
    except ConnectionError:
        pass
    writer.close()


async def _proxy(port: int, target: str, delay: float) -> None:
    host, target_port = target.rsplit(":", 1)

    async def serve(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(host, int(target_port))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            _forward(client_reader, server_writer, delay), _forward(server_reader, client_writer, delay)
        )

    server = await asyncio.start_server(serve, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


@contextmanager
def latency_proxy(target: str, delay_ms: float) -> Iterator[str]:
    """Run the proxy in a child process; yield its endpoint; stop it by its PID."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    command = [sys.executable, __file__, "--proxy", f"{port}={target}", "--latency-ms", str(delay_ms)]
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the latency proxy did not start") from None
                time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        child.terminate()
        try:
            child.wait(5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--small", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=5.0, help="one-way delay of the proxy (0: skip)")
    parser.add_argument("--proxy", help=argparse.SUPPRESS)  # PORT=HOST:PORT: run as the latency proxy
    args = parser.parse_args()
    if args.proxy:
        port, target = args.proxy.split("=", 1)
        asyncio.run(_proxy(int(port), target, args.latency_ms / 1000))
        return
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp, SeaweedFS() as server:
        print(f"SeaweedFS at {server.endpoint} (pid {server.pid}), {os.cpu_count()} CPUs")
        work = Path(tmp)
        if args.size_mb:
            bench_large(server, work, args.size_mb, args.repeat)
        if args.small:
            trees = make_small(server, work, args.small)
            bench_small(server, server.endpoint, trees, work, args.repeat, "no latency")
            if args.latency_ms:
                with latency_proxy(server.endpoint, args.latency_ms) as endpoint:
                    label = f"{args.latency_ms:g} ms each way"
                    bench_small(server, endpoint, trees, work, args.repeat, label)


if __name__ == "__main__":
    main()
