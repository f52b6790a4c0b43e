"""An OP that leaves a partial file and waits for a gate file (importable, so the engine finds it)."""

from __future__ import annotations

import time
from pathlib import Path

from dflow_like.python import OP, OPIO, Artifact, OPIOSign


class Gated(OP):
    """Writes ``partial.txt``, says so, then waits (bounded) until ``gate`` exists."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"gate": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"out": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        Path("partial.txt").write_text("half way")
        print("started", flush=True)
        deadline = time.monotonic() + 120
        while not Path(op_in["gate"]).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        Path("out.txt").write_text("done")
        return OPIO({"out": Path("out.txt")})
