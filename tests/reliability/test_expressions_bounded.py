"""A runaway ``when`` fails its own step quickly; the engine stays responsive meanwhile.

Before: ``'aaa...ab' =~ '(a+)+$'`` backtracked for hours, ``1..100000000000`` and
``sprig.repeat`` filled memory, and ``2 ** 100000`` raised ``OverflowError``, all on the
engine's event loop inside its write transaction (``terminate()`` then failed with
``database is locked`` and other steps' timeouts were not enforced).
"""

from __future__ import annotations

from dflow_like import Step, Workflow, argo_sequence
from dflow_like.python import PythonOPTemplate
from tests.polling import poll

from .ops_reliability import Nap

TIMEOUT = 120
NESTED_MAPS = "{{=len(map(1..1000000, map(1..1000000, #))) > 0}}"


def _nap(name: str, when: str, seconds: float = 0.0, **template: object) -> Step:
    return Step(name, PythonOPTemplate(Nap, **template), parameters={"seconds": seconds}, when=when)  # type: ignore[arg-type]


def test_runaway_expressions_fail_their_steps_with_clear_errors() -> None:
    wf = Workflow("runaway")
    wf.add(
        [
            _nap("backtrack", "'" + "a" * 40 + "b' =~ '(a+)+$'"),  # RE2, as Go: linear, false
            _nap("regex-match", "{{=sprig.regexMatch('(a+)+$', sprig.repeat(40, 'a') + 'b')}}"),
            _nap("matches", "{{=sprig.repeat(40, 'a') + 'b' matches '^(a|aa)*$'}}"),
            _nap("range", "{{=len(1..100000000000)}} > 0"),
            _nap("repeat", "{{=len(sprig.repeat(100000000000, 'x'))}} > 0"),
            _nap("power", "2 ** 100000 > 1"),  # Go's math.Pow: +Inf
            _nap("nested", NESTED_MAPS),
        ]
    )
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Failed"
    steps = {s.name: s for s in wf.query_step() if s.type != "Steps"}
    assert steps["backtrack"].phase == "Skipped"
    assert steps["regex-match"].phase == "Skipped"
    assert steps["matches"].phase == "Skipped"
    assert steps["power"].phase == "Succeeded"
    assert steps["range"].phase == "Error"
    assert "range 1..100000000000 would have 100000000000 elements, more than the limit" in steps["range"].message
    assert steps["repeat"].phase == "Error"
    assert "sprig.repeat(100000000000, ...) would have 100000000000 characters" in steps["repeat"].message
    assert steps["nested"].phase == "Error"
    assert "map() ran longer than the limit of 2 s" in steps["nested"].message
    assert NESTED_MAPS in steps["nested"].message


def test_engine_stays_responsive_beside_a_costly_expression() -> None:
    """Several 2-second expressions in a row: another step's timeout still fires, terminate still works."""
    wf = Workflow("responsive")
    wf.add(
        [
            _nap("timed", "true", seconds=60, timeout=1),
            _nap("sleepy", "true", seconds=60),
            *(_nap(f"costly{i}", NESTED_MAPS) for i in range(3)),
        ]
    )
    wf.submit()

    def settled() -> bool:
        done = {s.name: s.phase for s in wf.query_step() if s.name.startswith(("timed", "costly"))}
        return len(done) == 4 and all(p in ("Failed", "Error") for p in done.values())

    poll(settled, "the timed and costly steps to end")
    timed = wf.query_step(name="timed")[0]
    assert timed.phase == "Failed" and "timed out after 1 s" in timed.message
    assert all(s.phase == "Error" for s in wf.query_step() if s.name.startswith("costly"))
    wf.terminate()
    assert wf.wait(timeout=30) == "Failed"
    assert wf.query_step(name="sleepy")[0].message == "terminated"


def test_a_huge_with_sequence_fails_its_step() -> None:
    def sliced(name: str, sequence: object) -> Step:
        template = PythonOPTemplate(Nap)
        return Step(name, template, parameters={"seconds": "{{item}}"}, with_sequence=sequence)

    wf = Workflow("huge-sequence")
    wf.add([sliced("many", argo_sequence(10**11)), sliced("wide", argo_sequence(1, format="%0999999999d"))])
    wf.submit()
    assert wf.wait(timeout=TIMEOUT) == "Failed"
    many, wide = wf.query_step(name="many")[0], wf.query_step(name="wide")[0]
    assert many.phase == "Error"
    assert "withSequence from 0 to 99999999999 would have 100000000000 elements" in many.message
    assert wide.phase == "Error" and "would have 999999999 characters, more than the limit" in wide.message
