"""OPs for the reliability tests (importable, so the engine finds them)."""

from __future__ import annotations

import os
import time

from dflow_like.python import OP, OPIO, OPIOSign


class Nap(OP):
    """Sleeps ``seconds``; reports the S3 variables its environment held."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"seconds": float})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"env": str})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        time.sleep(op_in["seconds"])
        names = sorted(k for k in os.environ if k.startswith("DFLOW_LIKE_S3_"))
        return OPIO({"env": ",".join(names)})
