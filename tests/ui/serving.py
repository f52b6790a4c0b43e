"""The dashboard app served by uvicorn in a thread (as ``dflow-like ui`` serves it), and plain HTTP to it."""

from __future__ import annotations

import http.cookiejar
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class Served:
    base: str
    token: str

    def get(self, path: str) -> tuple[int, str]:
        url = f"{self.base}{path}{'&' if '?' in path else '?'}token={self.token}"
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def post(self, path: str) -> str:
        """POST an action; the page it redirects to (the token's cookie carries over, as in a browser)."""
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        request = urllib.request.Request(f"{self.base}{path}?token={self.token}", data=b"", method="POST")
        with opener.open(request, timeout=30) as response:
            return str(response.read().decode())


def serve_app(app: object) -> Iterator[str]:
    """Yield the base URL while the app is served (a generator: use it in a for loop or a fixture)."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
