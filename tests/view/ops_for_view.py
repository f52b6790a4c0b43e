"""OPs the view tests run: a fan-out with chosen failures, and a step held open by a file."""

from __future__ import annotations

import time
from pathlib import Path

from dflow_like.python import OP, OPIO, Artifact, OPIOSign


class Energy(OP):
    """Fails for the items listed in ``fail``; otherwise writes a small result file."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int, "fail": list[int]})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"energy": float})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        print(f"computing energy of item {op_in['x']}")
        if op_in["x"] in op_in["fail"]:
            raise ValueError(f"energy diverged for item {op_in['x']}")
        return OPIO({"energy": -1.5 * op_in["x"]})


class Gate(OP):
    """Runs until the file ``release`` exists (bounded): a step the test can watch while it runs."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"release": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"data": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        print("waiting for the release file", flush=True)
        deadline = time.monotonic() + 120
        while not Path(op_in["release"]).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        print("released", flush=True)
        out = Path("data.bin")
        out.write_bytes(bytes(range(256)) * 40)
        return OPIO({"data": out})


class Collect(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"energies": list[float]})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"total": float})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"total": sum(op_in["energies"])})
