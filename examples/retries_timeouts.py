"""Retries and timeouts: a flaky step is retried, a hung step is cut off.

    python examples/retries_timeouts.py

``Flaky`` raises ``TransientError`` (think: a licence server or network blip) on its
first two attempts; ``retry_on_transient_error=3`` lets it succeed on the third.
``Hang`` would sleep for a minute; ``timeout=2`` kills it after two seconds, and
``continue_on_failed=True`` lets the workflow finish anyway. A ``FatalError`` is
never retried.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from dflow_like import Step, Workflow
from dflow_like.python import OP, OPIO, FatalError, OPIOSign, PythonOPTemplate, TransientError


class Flaky(OP):
    """Fails transiently until it has been tried ``succeed_on`` times (counted in a file)."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"counter": str, "succeed_on": int})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"attempt": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        counter = Path(op_in["counter"])
        attempt = int(counter.read_text() or 0) + 1 if counter.exists() else 1
        counter.write_text(str(attempt))
        if attempt < op_in["succeed_on"]:
            raise TransientError(f"server busy (attempt {attempt})")
        return OPIO({"attempt": attempt})


class Hang(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"seconds": float})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"done": bool})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        time.sleep(op_in["seconds"])
        return OPIO({"done": True})


class Broken(OP):
    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"counter": str})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign()

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        counter = Path(op_in["counter"])
        counter.write_text(str(int(counter.read_text() or 0) + 1 if counter.exists() else 1))
        raise FatalError("input deck is inconsistent: retrying cannot help")


def build_workflow(counters: str = "/tmp/retries-example") -> Workflow:
    """``counters``: a directory every attempt sees, where Flaky and Broken count their runs."""
    flaky = Step(
        "flaky",
        PythonOPTemplate(Flaky, retry_on_transient_error=3),
        parameters={"counter": str(Path(counters, "flaky")), "succeed_on": 3},
    )
    hang = Step(
        "hang",
        PythonOPTemplate(Hang, timeout=2),
        parameters={"seconds": 60.0},
        continue_on_failed=True,
    )
    broken = Step(
        "broken",
        PythonOPTemplate(Broken, retry_on_transient_error=3),
        parameters={"counter": str(Path(counters, "broken"))},
        continue_on_failed=True,
    )
    wf = Workflow(name="retries")
    wf.add([flaky, hang, broken])  # one parallel stage
    return wf


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wf = build_workflow(tmp)
        start = time.monotonic()
        wf.submit()
        phase = wf.wait()
        elapsed = time.monotonic() - start
        broken_runs = Path(tmp, "broken").read_text()

    print(f"workflow {wf.id}: {phase} in {elapsed:.1f} s (not the 60 s 'hang' asked for)")
    for name in ("flaky", "hang", "broken"):
        s = wf.query_step(name=name)[0]
        print(f"  {name:6s} {s.phase:9s} attempts={s.attempts}  {s.message}")
    attempt = wf.query_step(name="flaky")[0].outputs.parameters["attempt"].value
    print(f"flaky succeeded on attempt {attempt}; broken ran {broken_runs} time(s)")


if __name__ == "__main__":
    main()
