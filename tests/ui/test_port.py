"""A second ``dflow-like ui`` (the port taken) takes the next free port, as Jupyter does; a port
asked for with ``--port`` that is taken is a clear error, not a traceback."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

pytest.importorskip("uvicorn")

from dflow_like.cli.main import main
from dflow_like.ui.server import PortInUse, bind


@pytest.fixture
def taken() -> Iterator[int]:
    """A port some other server listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def test_a_taken_port_moves_on_to_a_free_one(taken: int) -> None:
    sock = bind("127.0.0.1", taken, retries=20)
    try:
        assert sock.getsockname()[1] != taken
    finally:
        sock.close()


def test_a_taken_port_asked_for_is_a_clear_error(taken: int, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(PortInUse):
        bind("127.0.0.1", taken)
    assert main(["ui", "--port", str(taken)]) == 1
    err = capsys.readouterr().err
    assert f"port {taken} on 127.0.0.1 in use" in err and "--port 0" in err and "Traceback" not in err
