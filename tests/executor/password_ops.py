"""An OP for the password tests, importable by a Slurm job: waits for the test, reports its environment.

``Environ`` holds until the test opens ``gate`` (so the test can look at the processes of a
running step), then returns the job's environment as text: the test greps the run's files,
this output included, for the password.
"""

from __future__ import annotations

import os

from dflow_like.python import OP, OPIO, OPIOSign
from tests.polling import gate


class Environ(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"gate": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"environ": str, "job": str})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        gate(op_in["gate"])
        with open("/proc/self/environ", "rb") as handle:
            environ = handle.read().replace(b"\0", b"\n").decode(errors="replace")
        return OPIO({"environ": environ, "job": os.environ.get("SLURM_JOB_ID", "")})
