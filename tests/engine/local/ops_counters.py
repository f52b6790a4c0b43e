"""An OP for the counter tests: fails for chosen items while a flag file exists."""

from __future__ import annotations

from pathlib import Path

from dflow_like.python import OP, OPIO, OPIOSign


class Flaky(OP):
    """Fails for the items in ``fail`` while the file ``flag`` exists; else doubles ``x``."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int, "fail": list[int], "flag": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        if op_in["x"] in op_in["fail"] and Path(op_in["flag"]).exists():
            raise RuntimeError(f"item {op_in['x']} fails while the flag is up")
        return OPIO({"y": 2 * op_in["x"]})
