"""The OPs of dflow's ``examples/test_slurm.py`` (``Hello``, ``Check``), importable by a Slurm job.

``Hello`` writes one file per item as dflow's does, with the Slurm job id in it (so a test
can see that the item ran inside a job); ``Check`` reads them all and returns what it read.
"""

from __future__ import annotations

import os

from dflow_like.python import OP, OPIO, Artifact, OPIOSign


class Hello(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"filename": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"foo": Artifact(str)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        with open(op_in["filename"], "w") as handle:
            handle.write(f"foo from job {os.environ.get('SLURM_JOB_ID', 'none')}")
        return OPIO({"foo": op_in["filename"]})


class Check(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"foo": Artifact(list[str])})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"contents": list[str]})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        contents = []
        for filename in op_in["foo"]:
            with open(filename) as handle:
                contents.append(f"{os.path.basename(filename)}: {handle.read()}")
        return OPIO({"contents": contents})
