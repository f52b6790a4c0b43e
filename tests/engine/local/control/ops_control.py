"""OPs for the control-flow tests (importable, so the engine finds them)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from dflow_like.python import OP, OPIO, Artifact, FatalError, OPIOSign, Parameter, TransientError
from tests.polling import arrive


class Square(OP):
    """``x**2``; with ``log`` it records when it ran, and with ``together`` the first that many
    wait for each other (``tests.polling.arrive``), so the peak is reached by construction."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int, "log": Parameter(str, default=""), "together": Parameter(int, default=0)})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": int, "out": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        start = time.time()
        if op_in["together"]:
            arrive(op_in["log"] + ".started", op_in["together"])
        if op_in["log"]:
            time.sleep(0.2)  # work: a run over the cap would overlap these
        Path(f"sq{op_in['x']}.txt").write_text(str(op_in["x"] ** 2))
        if op_in["log"]:
            with open(op_in["log"], "a") as fh:
                fh.write(f"{start} {time.time()}\n")
        return OPIO({"y": op_in["x"] ** 2, "out": Path(f"sq{op_in['x']}.txt")})


class Sum(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"values": list[int], "files": Artifact(list[Path])})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"total": int, "from_files": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"total": sum(op_in["values"]), "from_files": sum(int(p.read_text()) for p in op_in["files"])})


class ReadOne(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"file": Artifact(Path)})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"text": str, "siblings": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        here = sum(1 for _ in op_in["file"].parent.rglob("*.txt"))
        return OPIO({"text": op_in["file"].read_text(), "siblings": here})


class Flaky(OP):
    """Fails with ``kind`` until it has run ``succeed_on`` times (counted in a file); with
    ``stamps``, each run appends when it started there."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"counter": str, "succeed_on": int, "kind": str, "stamps": Parameter(str, default="")})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"runs": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        if op_in["stamps"]:
            with open(op_in["stamps"], "a") as fh:
                fh.write(f"{time.time()}\n")
        counter = Path(op_in["counter"])
        with open(counter, "ab") as handle:  # one byte per run: appends are atomic when items share it
            handle.write(b".")
        runs = counter.stat().st_size
        if runs < op_in["succeed_on"]:
            errors = {"transient": TransientError, "fatal": FatalError, "plain": ValueError}
            raise errors[op_in["kind"]](f"run {runs} failed")
        return OPIO({"runs": runs})


class Hang(OP):
    """Starts a grandchild and hangs, to prove a timeout kills the whole tree."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"pidfile": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"never": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        child = subprocess.Popen(["sleep", "300"])
        Path(op_in["pidfile"]).write_text(str(child.pid))
        time.sleep(300)
        return OPIO({"never": 1})


class Relax(OP):
    """One relaxation step: halves the residual; reports convergence."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"residual": float, "tol": float, "counter": Parameter(str, default="")})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"residual": float, "converged": bool})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        if op_in["counter"]:
            with open(op_in["counter"], "a") as fh:
                fh.write(f"{os.getpid()}\n")
        residual = op_in["residual"] / 2
        return OPIO({"residual": residual, "converged": residual < op_in["tol"]})


class Note(OP):
    """The README's OP: every item writes ``note.txt`` (the same name); negative ``x`` fails."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": int, "note": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        if op_in["x"] < 0:
            raise ValueError(f"x={op_in['x']} is negative")
        Path("note.txt").write_text(f"{op_in['x']}^2")
        return OPIO({"y": op_in["x"] ** 2, "note": Path("note.txt")})
