"""OPs the core tests run (importable, so the engine process finds them by reference)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from dflow_like.python import OP, OPIO, Artifact, BigParameter, OPIOSign, Parameter
from tests.polling import arrive


class Hello(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"name": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"greeting": str, "file": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        Path("greeting.txt").write_text(f"Hello, {op_in['name']}!")
        return OPIO({"greeting": f"Hello, {op_in['name']}!", "file": Path("greeting.txt")})


class Shout(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"text": str, "times": Parameter(int, default=1), "file": Artifact(Path)})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"text": str, "file": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        content = Path(op_in["file"]).read_text().upper() * op_in["times"]
        Path("shout.txt").write_text(content)
        return OPIO({"text": op_in["text"].upper(), "file": Path("shout.txt")})


class Join(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"left": str, "right": str, "files": Artifact(list[Path])})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"joined": str, "count": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"joined": op_in["left"] + " | " + op_in["right"], "count": len(op_in["files"])})


class Fail(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        print("about to fail")
        Path("partial.txt").write_text("half done")
        raise ValueError(f"bad x: {op_in['x']}")


class Forgetful(OP):
    """Declares an output it never returns."""

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": int, "z": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"y": 1})


class Point:
    """A user type passed by value between steps (jsonpickle)."""

    def __init__(self, x: float, tags: dict[int, str]) -> None:
        self.x = x
        self.tags = tags


class MovePoint(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"p": Point, "big": BigParameter(dict)})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"p": Point, "big": BigParameter(dict)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        p = op_in["p"]
        return OPIO(
            {
                "p": Point(p.x + 1, {**p.tags, 2: "moved"}),
                "big": {**op_in["big"], "n": len(op_in["big"])},
            }
        )


class Files(OP):
    """Every artifact shape: list, set, dict of files, and a directory."""

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign(
            {
                "many": Artifact(list[Path]),
                "bag": Artifact(set[str]),
                "named": Artifact(dict[str, Path]),
                "folder": Artifact(Path),
            }
        )

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        out: dict[str, Any] = {"many": [], "bag": set(), "named": {}}
        for i in range(3):
            Path(f"m{i}.txt").write_text(f"m{i}")
            out["many"].append(Path(f"m{i}.txt"))
        for n in ("a", "b"):
            Path(f"{n}.dat").write_text(n)
            out["bag"].add(f"{n}.dat")
            out["named"][n.upper()] = Path(f"{n}.dat")
        Path("folder/sub").mkdir(parents=True)
        Path("folder/sub/deep.txt").write_text("deep")
        out["folder"] = Path("folder")
        return OPIO(out)


class CountFiles(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign(
            {
                "many": Artifact(list[Path]),
                "bag": Artifact(set[str]),
                "named": Artifact(dict[str, Path]),
                "folder": Artifact(Path),
            }
        )

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"summary": str})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        many = [p.read_text() for p in op_in["many"]]
        bag = sorted(Path(p).read_text() for p in op_in["bag"])
        named = {k: v.read_text() for k, v in sorted(op_in["named"].items())}
        deep = (op_in["folder"] / "sub" / "deep.txt").read_text()
        return OPIO({"summary": f"{many}{bag}{named}{deep}"})


class Sleep(OP):
    """Records when it ran, to observe concurrency; the first ``together`` wait for each other."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"seconds": float, "log": str, "together": Parameter(int, default=0)})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"pid": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        start = time.time()
        if op_in["together"]:
            arrive(op_in["log"] + ".started", op_in["together"])
        time.sleep(op_in["seconds"])
        with open(op_in["log"], "a") as fh:
            fh.write(f"{start} {time.time()}\n")
        return OPIO({"pid": os.getpid()})
