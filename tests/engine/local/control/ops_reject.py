"""An OP that fails for odd inputs, for the tests of failure messages and step times."""

from __future__ import annotations

from dflow_like.python import OP, OPIO, OPIOSign


class Reject(OP):
    """Fails with ``ValueError: x=<x> rejected`` for odd ``x``; returns ``x`` otherwise."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        if op_in["x"] % 2:
            raise ValueError(f"x={op_in['x']} rejected")
        return OPIO({"y": op_in["x"]})


class EndsProcess(OP):
    """Ends its own process the ways a library might: ``os._exit(0)`` or ``KeyboardInterrupt``."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"how": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        import os

        print("about to end", flush=True)
        if op_in["how"] == "exit0":
            os._exit(0)
        raise KeyboardInterrupt
