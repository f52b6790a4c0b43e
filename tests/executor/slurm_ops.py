"""OPs the Slurm engine tests run (importable: a Slurm job is a fresh interpreter)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from dflow_like.python import OP, OPIO, Artifact, OPIOSign
from tests.polling import gate


class Where(OP):
    """Reports which process ran it, where (its working directory) and under which Slurm job."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": int, "job": str, "host": str, "cwd": str, "note": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        Path("note.txt").write_text(f"x={op_in['x']}")
        job = os.environ.get("SLURM_ARRAY_JOB_ID") or os.environ.get("SLURM_JOB_ID", "")
        print(f"running x={op_in['x']} in job {job!r}")
        out = {"y": op_in["x"] * 10, "job": job, "host": socket.gethostname(), "cwd": os.getcwd()}
        return OPIO({**out, "note": Path("note.txt")})


class Boom(OP):
    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        raise RuntimeError("boom on the cluster")


class Hog(OP):
    """Allocates far more memory than its job may use."""

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        blocks = [bytearray(50 * 2**20) for _ in range(20)]
        for block in blocks:
            block[::4096] = b"x" * len(block[::4096])
        return OPIO({"y": len(blocks)})


class Nap(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"seconds": float})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"slept": float})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        time.sleep(op_in["seconds"])
        return OPIO({"slept": op_in["seconds"]})


class Held(OP):
    """Runs until the test creates ``gate`` (bounded): a job still running by construction."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"gate": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"released": bool})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        gate(op_in["gate"])
        return OPIO({"released": True})
