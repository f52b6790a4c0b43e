"""OPs for the reliability tests (importable, so the engine finds them)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from dflow_like.python import OP, OPIO, Artifact, OPIOSign


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


class Probe(OP):
    """Reports which credentials its process can see, and writes an output artifact."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"tag": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"env": str, "held": str, "out": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        from dflow_like import config, s3_config

        names = sorted(k for k in os.environ if k in _CREDENTIAL_ENV)
        held = [k for k in ("access_key", "secret_key") if s3_config[k]] + (["token"] if config["token"] else [])
        Path("out.txt").write_text(op_in["tag"])
        return OPIO({"env": ",".join(names), "held": ",".join(held), "out": Path("out.txt")})


_CREDENTIAL_ENV = ("DFLOW_LIKE_S3_ACCESS_KEY", "DFLOW_LIKE_S3_SECRET_KEY", "DFLOW_LIKE_TOKEN")
