"""The plan: layers of a DAG, recursion drawn once, big containers as one node, a plan from records."""

from __future__ import annotations

import sys
from pathlib import Path

from dflow_like import DAG, Step, Steps, Task, Workflow
from dflow_like.python import PythonOPTemplate
from dflow_like.view.layout import layout
from dflow_like.view.plan import iter_nodes, node_id, plan_from_records, plan_of
from dflow_like.view.source import plan_for, summarize
from dflow_like.view.summary import records_summary

from .ops_for_view import Collect, Energy
from .workflows import energy_workflow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_a_diamond_dag_is_drawn_in_three_layers() -> None:
    t = PythonOPTemplate(Collect)
    a = Task("a", t, parameters={"energies": [1.0]})
    b = Task("b", t, parameters={"energies": [1.0]}, dependencies=[a])
    c = Task("c", t, parameters={"energies": [1.0]}, dependencies=[a])
    d = Task("d", t, parameters={"energies": [1.0]}, dependencies=[b, c])
    plan = plan_of(DAG("diamond", tasks=[d, c, b, a]), "wf")
    ranks = {n.name: n.rank for n in plan.children}
    assert ranks == {"a": 0, "b": 1, "c": 1, "d": 2}
    placed = {p.node.name: p for p in layout(plan).children}
    assert placed["a"].y < placed["b"].y == placed["c"].y < placed["d"].y
    assert placed["b"].x != placed["c"].x


def test_a_recursive_template_is_drawn_once() -> None:
    sys.path.insert(0, str(EXAMPLES))
    try:
        import recursion  # examples/recursion.py: a Steps that calls itself until converged
    finally:
        sys.path.remove(str(EXAMPLES))
    plan = plan_of(recursion.build_workflow().entrypoint, "recursion")
    relax = next(n for n in plan.children if n.name == "relax")
    assert [(n.name, n.kind) for n in relax.children] == [("relax", "Pod"), ("again", "Recursive")]


def test_a_stage_of_many_steps_is_one_node_with_counts(tmp_path: Path) -> None:
    (tmp_path / "go").write_text("go")
    template = PythonOPTemplate(Energy)
    wf = Workflow("wide")
    wf.add([Step(f"e{i}", template, parameters={"x": i, "fail": [3]}, continue_on_failed=True) for i in range(45)])
    assert plan_for(wf).kind == "Collapsed"
    assert "wide \u00d745 steps" in wf._repr_html_() and "0/45 steps done" in wf._repr_html_()
    wf.submit()
    wf.wait(timeout=120)
    view = wf._repr_html_()
    assert "wide \u00d745 steps" in view and "44 ✓ 1 ✗" in view and "45/45 steps done" in view


def test_records_give_the_same_progress_as_the_state_store(tmp_path: Path) -> None:
    (tmp_path / "go").write_text("go")
    wf = energy_workflow(n=5, fail=(1,), release=str(tmp_path / "go"))
    wf.submit()
    wf.wait(timeout=120)
    records = wf.query_step()
    guessed = plan_from_records(records, wf.id or "")
    from_records = records_summary(records, guessed, wf.id or "", "Succeeded")
    from_store = summarize(wf, plan_for(wf))
    assert (from_records.done, from_records.total) == (from_store.done, from_store.total) == (8, 8)
    # an engine without our state store (Argo) is matched to the definition's plan by step names
    by_name = records_summary(records, plan_for(wf), wf.id or "", "Succeeded")
    assert (by_name.done, by_name.total) == (8, 8) and by_name.states["/energy"].items == {"Succeeded": 4, "Failed": 1}
    argo_like = [r for r in records if r.type != "StepGroup"]  # Argo has no node for the loop itself
    assert records_summary(argo_like, plan_for(wf), wf.id or "", "Running").states["/energy"].phase == "Failed"
    assert [c.name for c in guessed.children] == ["gate", "energy", "post"]
    assert [c.rank for c in guessed.children] == [0, 1, 2]


def test_the_exit_handler_is_drawn_after_the_steps(tmp_path: Path) -> None:
    (tmp_path / "go").write_text("go")
    exit_steps = Steps("exit")
    exit_steps.add(Step("note", PythonOPTemplate(Collect), parameters={"energies": [1.0]}))
    wf = energy_workflow(n=2, fail=(), release=str(tmp_path / "go"))
    wf.on_exit = exit_steps
    wf.submit()
    assert wf.wait(timeout=120) == "Succeeded"
    plan = plan_for(wf)
    assert plan.children[-1].name == "onExit" and plan.children[-1].rank == 3
    ids = {s.id for s in wf.query_step()}
    assert {node_id(wf.id or "", n.path) for n in iter_nodes(plan)} <= ids  # every drawn node found by id
    view = wf._repr_html_()
    assert "data-name='note' data-phase='Succeeded'" in view and "6/6 steps done" in view


def test_a_fan_out_over_a_literal_list_counts_its_items_before_it_runs() -> None:
    """``Slices`` over ``[...]`` of 6: the progress before submit is over 6 items + 1 step, not 1 + 1."""
    from dflow_like._notebook import workflow_html
    from dflow_like.python import Slices

    wf = Workflow("literal")
    sliced = PythonOPTemplate(Energy, slices=Slices(input_parameter=["x"], output_parameter=["energy"]))
    fan = Step("energy", sliced, parameters={"x": [0, 1, 2, 3, 4, 5], "fail": []})
    wf.add(fan)
    wf.add(Step("collect", PythonOPTemplate(Collect), parameters={"energies": fan.outputs.parameters["energy"]}))
    assert next(n for n in iter_nodes(plan_of(wf.entrypoint, wf.name)) if n.name == "energy").items == 6
    assert "0/7 steps done" in workflow_html(wf)
