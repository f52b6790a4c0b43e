"""OPs for the engine-on-S3 tests."""

from __future__ import annotations

from pathlib import Path

from dflow_like.python import OP, OPIO, Artifact, OPIOSign


class Write(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"n": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"files": Artifact(list[Path])})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        paths = []
        for i in range(op_in["n"]):
            Path(f"d{i}").mkdir()
            (Path(f"d{i}") / "data.txt").write_text(f"item {i}")
            paths.append(Path(f"d{i}") / "data.txt")
        return OPIO({"files": paths})


class Concat(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"files": Artifact(list[Path]), "extra": Artifact(Path, optional=True)})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"text": str, "out": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        text = " | ".join(p.read_text() for p in op_in["files"])
        if op_in["extra"] is not None:
            text += " + " + op_in["extra"].read_text()
        Path("all.txt").write_text(text)
        return OPIO({"text": text, "out": Path("all.txt")})


class Note(OP):
    """Every item writes the same name, ``note.txt``."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"note": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        Path("note.txt").write_text(f"{op_in['x']}^2")
        return OPIO({"note": Path("note.txt")})
