"""OPs of the remote-inputs tests: one writes files here, the other reads one on the cluster."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from dflow_like.python import OP, OPIO, Artifact, OPIOSign


class WriteFiles(OP):
    """Writes one file per text: ``first`` is the first, ``files`` all of them."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"texts": list[str]})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"first": Artifact(Path), "files": Artifact(list[Path])})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        files = []
        for index, text in enumerate(op_in["texts"]):
            path = Path(f"f{index}.txt")
            path.write_text(text)
            files.append(path)
        return OPIO({"first": files[0], "files": files})


class Measure(OP):
    """Reads its input file, then appends ``!`` to it (a step may change its inputs) and returns it."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"data": Artifact(Path)})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"content": str, "size": int, "who": str, "changed": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        path = Path(op_in["data"])
        content = path.read_text()
        with path.open("a") as handle:
            handle.write("!")
        who = pwd.getpwuid(os.getuid()).pw_name
        return OPIO({"content": content, "size": len(content), "who": who, "changed": path})
