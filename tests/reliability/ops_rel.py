"""OPs for the reliability tests (importable, so the engine finds them)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from dflow_like.python import OP, OPIO, Artifact, OPIOSign

HOLD_LIMIT = 120.0  # a held step never outlives a broken test by much


def _hold(gate: Path) -> None:
    """Wait while ``gate`` exists (the test removes it, or kills us)."""
    deadline = time.monotonic() + HOLD_LIMIT
    while gate.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


class Collect(OP):
    """Makes ``out/`` (``mkdir``: fails if it exists), appends to ``lines.txt``, writes
    one file per run into ``out/``; holds while ``gate`` exists after announcing its
    pid in ``started``. A re-run in a used directory shows as an error or extra files."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"gate": str, "started": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"out": Artifact(Path), "lines": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        os.mkdir("out")
        Path("out", f"run-{os.getpid()}.txt").write_text("x")
        with open("lines.txt", "a") as fh:
            fh.write(f"{os.getpid()}\n")
        Path(op_in["started"]).write_text(str(os.getpid()))
        _hold(Path(op_in["gate"]))
        return OPIO({"out": Path("out"), "lines": len(Path("lines.txt").read_text().split())})


class Escape(OP):
    """Starts a grandchild in a new session (``setsid``), records its pid, then holds."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"pidfile": str, "gate": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"done": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        # a daemon: new session, fork, the parent exits (the grandchild is reparented)
        code = (
            "import os,time\nos.setsid()\npid = os.fork()\nif pid:\n    print(pid, flush=True)\n    os._exit(0)\n"
            "null = os.open(os.devnull, os.O_WRONLY)\nos.dup2(null, 1)\nos.dup2(null, 2)\ntime.sleep(300)\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        Path(op_in["pidfile"]).write_text(done.stdout.strip())
        _hold(Path(op_in["gate"]))
        return OPIO({"done": 1})


class Allocate(OP):
    """Allocates and touches ``mib`` MiB."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"mib": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"held": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        block = bytearray(op_in["mib"] * 1024 * 1024)
        for i in range(0, len(block), 4096):
            block[i] = 1
        return OPIO({"held": len(block) // (1024 * 1024)})


class SelfKill(OP):
    """Kills itself with a signal on its first ``kills`` runs (counted in a file)."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"counter": str, "kills": int, "signal": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"runs": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        counter = Path(op_in["counter"])
        with open(counter, "ab") as fh:
            fh.write(b".")
        runs = counter.stat().st_size
        if runs <= op_in["kills"]:
            os.kill(os.getpid(), op_in["signal"])
            time.sleep(30)
        return OPIO({"runs": runs})


class Announce(OP):
    """Writes its worker's pid (its parent's) to ``pidfile``, then holds while ``gate`` exists."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"pidfile": str, "gate": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"done": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        Path(op_in["pidfile"]).write_text(str(os.getppid()))
        _hold(Path(op_in["gate"]))
        return OPIO({"done": 1})


class NapOrFail(OP):
    """Sleeps ``seconds``; then fails if ``x`` is negative (for Slurm array items)."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int, "seconds": float})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        time.sleep(op_in["seconds"])
        if op_in["x"] < 0:
            raise ValueError(f"item {op_in['x']} refused on the cluster")
        return OPIO({"y": op_in["x"] * 10})
