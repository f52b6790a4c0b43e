"""An OP for the retry tests: fails until its marker file exists, then may hold at a gate."""

from __future__ import annotations

import time
from pathlib import Path

from dflow_like.python import OP, OPIO, OPIOSign, Parameter
from tests.polling import gate


class Marked(OP):
    """Takes ``seconds`` (its work), fails while ``marker`` is missing, then holds until
    ``gate`` exists (so a test can look at a run while it runs)."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign(
            {"marker": Parameter(str, default=""), "seconds": Parameter(float, default=0.0),
             "gate": Parameter(str, default=""), "x": Parameter(int, default=0)}
        )  # fmt: skip

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        time.sleep(op_in["seconds"])
        if op_in["marker"] and not Path(op_in["marker"]).exists():
            raise RuntimeError(f"{op_in['marker']} does not exist yet")
        if op_in["gate"]:
            gate(op_in["gate"])
        return OPIO({"x": op_in["x"]})
