"""An OP for the runner-contract tests: it ends the way its ``how`` input says."""

from __future__ import annotations

from dflow_like.python import OP, OPIO, FatalError, OPIOSign, TransientError


class EndAs(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"how": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"said": str})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        how = op_in["how"]
        if how == "fatal":
            raise FatalError("cannot ever work")
        if how == "transient":
            raise TransientError("try again")
        if how == "fail":
            raise ValueError("bad value")
        return OPIO({"said": how})
