"""``dflow-like ui``: serve the dashboard with uvicorn on 127.0.0.1 and print its tokened URL."""

from __future__ import annotations

import secrets
import socket
import sys
from pathlib import Path

import uvicorn

from .app import create_app

__all__ = ["serve"]


def serve(host: str = "127.0.0.1", port: int = 8765, token: str | None = None, home: Path | None = None) -> int:
    """Serve until interrupted. The URL with the token is printed first (port 0: any free port)."""
    token = token or secrets.token_urlsafe(24)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
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
