"""``dflow-like ui``: serve the dashboard with uvicorn on 127.0.0.1 and print its tokened URL."""

from __future__ import annotations

import errno
import secrets
import socket
import sys
from pathlib import Path

import uvicorn

from .app import create_app

__all__ = ["PortInUse", "bind", "serve"]


class PortInUse(OSError):
    """Every port tried is taken; the message says which and what to do."""


def bind(host: str, port: int, retries: int = 0) -> socket.socket:
    """A socket bound to ``port``, or (as Jupyter's ``port_retries``) to one of the ``retries``
    ports after it when it is taken (another ``dflow-like ui`` already runs, say)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for candidate in range(port, port + retries + 1):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
        except OSError as exc:
            sock.close()
            if exc.errno != errno.EADDRINUSE or port == 0:
                raise
            continue
        return sock
    tried = f"port {port}" if not retries else f"ports {port}-{port + retries}"
    raise PortInUse(
        errno.EADDRINUSE, f"{tried} on {host} in use (another dflow-like ui?): choose one with --port N, or --port 0"
    )


def serve(
    host: str = "127.0.0.1", port: int = 8765, token: str | None = None, home: Path | None = None, retries: int = 0
) -> int:
    """Serve until interrupted. The URL with the token is printed first (port 0: any free port)."""
    token = token or secrets.token_urlsafe(24)
    sock = bind(host, port, retries)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    print(f"dflow-like dashboard: http://{shown}:{bound}/?token={token}", flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"warning: listening on {host}: anyone who can reach it and has the token can act on runs", file=sys.stderr
        )
    config = uvicorn.Config(create_app(token, home), log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])
    return 0
