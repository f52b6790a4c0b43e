"""A Slurm job that packs several items (``group_size``) imports the OP's modules once.

``runner/packed.py``: one process per job loads the template (importing the OP's
module) and what ``execute`` imports, then forks a child per item. Each test writes
its OP's modules into a directory on ``sys.path`` (the job gets the caller's path);
each module appends ``pid job_id`` to its own ``.log`` on every import, so imports
inside Slurm jobs can be counted apart from the test's and the engine's.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dflow_like import DispatcherExecutor, Step, Workflow
from dflow_like.executor.slurm.local_cluster import LocalSlurmCluster
from dflow_like.python import PythonOPTemplate, Slices
from dflow_like.records import StepRecord

pytestmark = pytest.mark.slurm

_RECORD = """
import os as _os
with open(__file__[:-3] + ".log", "a") as _fh:
    _fh.write(f"{_os.getpid()} {_os.environ.get('SLURM_JOB_ID', '-')}\\n")
"""

_OP = """
import os
import signal
from dflow_like.python import OP, OPIO, OPIOSign


class PackedItem(OP):  # a class in an importable module: the job imports the module to load it
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int, "pid": int, "calls": int, "job": str})

    def execute(self, op_in):
        import %(heavy)s

        x = op_in["x"]
        if x == 3:
            raise RuntimeError("item 3 fails on purpose")
        if x == 5:
            os.kill(os.getpid(), signal.SIGKILL)
        %(heavy)s.calls += 1  # a step's change to a module stays in its own process
        print(f"item {x} ran in pid {os.getpid()}")
        return OPIO({"y": 10 * x, "pid": os.getpid(), "calls": %(heavy)s.calls, "job": os.environ["SLURM_JOB_ID"]})
"""


def _imports_in_jobs(log: Path) -> list[tuple[int, str]]:
    """(pid, Slurm job id) of each import inside a Slurm job (not the test's nor the engine's)."""
    rows = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    return [(int(pid), job) for pid, job in rows if job != "-"]


def _write_modules(directory: Path, op_module: str, heavy: str, heavy_body: str = "calls = 0\n") -> None:
    (directory / f"{op_module}.py").write_text(_RECORD + _OP % {"heavy": heavy})
    (directory / f"{heavy}.py").write_text(_RECORD + textwrap.dedent(heavy_body))


def _run_packed(cluster: LocalSlurmCluster, op: object, name: str) -> Workflow:
    slices = Slices(input_parameter=["x"], output_parameter=["y", "pid", "calls", "job"], group_size=2, pool_size=2)
    wf = Workflow(name)
    executor = DispatcherExecutor(slurm_conf=str(cluster.slurm_conf))
    template = PythonOPTemplate(op, slices=slices)
    wf.add(Step("items", template, parameters={"x": [1, 2, 3, 4, 5]}, executor=executor, continue_on_failed=True))
    wf.submit()
    wf.wait(timeout=180)
    return wf


def _order(record: StepRecord) -> int:
    return int(record.inputs.parameters["x"].value)


def _attempt(record: StepRecord) -> Path:
    assert record.log_path, record
    return Path(record.log_path).parent


@pytest.fixture
def mods(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "mods"
    directory.mkdir()
    monkeypatch.syspath_prepend(str(directory))
    return directory


def test_a_packed_job_imports_the_ops_modules_once_and_keeps_each_item_apart(
    slurm_cluster: LocalSlurmCluster, mods: Path
) -> None:
    _write_modules(mods, "packed_op", "packed_heavy")
    from packed_op import PackedItem  # type: ignore[import-not-found]

    wf = _run_packed(slurm_cluster, PackedItem, "slurm-packed")
    items = sorted((r for r in wf.query_step(name="items") if r.type == "Pod"), key=_order)
    assert [r.phase for r in items] == ["Succeeded", "Succeeded", "Failed", "Succeeded", "Error"]
    ok = [r for r in items if r.phase == "Succeeded"]
    assert [r.outputs.parameters["y"].value for r in ok] == [10, 20, 40]
    jobs = [r.outputs.parameters["job"].value for r in ok]
    assert jobs[0] == jobs[1] != jobs[2]  # items 1,2 | 3,4 | 5: three jobs

    op_imports = _imports_in_jobs(mods / "packed_op.log")
    heavy_imports = _imports_in_jobs(mods / "packed_heavy.log")
    assert len(op_imports) == 3 and len({job for _, job in op_imports}) == 3  # once per job, not per item
    assert len(heavy_imports) == 3 and {job for _, job in heavy_imports} == {job for _, job in op_imports}

    pids = [r.outputs.parameters["pid"].value for r in ok]
    assert len(set(pids)) == 3 and not set(pids) & {pid for pid, _ in op_imports}  # a process per item
    assert [r.outputs.parameters["calls"].value for r in ok] == [1, 1, 1]  # no item sees another's state

    for record, x in zip(items, [1, 2, 3, 4, 5]):
        attempt = _attempt(record)
        log = (attempt / "log.txt").read_text()
        if x == 3:
            assert "RuntimeError: item 3 fails on purpose" in log and "Traceback" in log
            assert (attempt / "error.txt").read_text() == "RuntimeError: item 3 fails on purpose"
            assert (attempt / "exit_code").read_text() == "1"
        elif x == 5:  # killed: it still has an exit code and a reason, not a success
            assert (attempt / "exit_code").read_text() == "137"
            assert "killed by signal SIGKILL" in record.message
        else:
            assert f"item {x} ran in pid" in log and "item 3" not in log
            assert (attempt / "exit_code").read_text() == "0"
        assert (attempt / "started").exists()


def test_a_packed_job_whose_imports_start_a_thread_runs_each_item_in_a_fresh_interpreter(
    slurm_cluster: LocalSlurmCluster, mods: Path
) -> None:
    threaded = """
    import threading, time
    calls = 0
    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
    """
    _write_modules(mods, "packed_threaded_op", "packed_threaded", threaded)
    from packed_threaded_op import PackedItem  # type: ignore[import-not-found]

    wf = _run_packed(slurm_cluster, PackedItem, "slurm-packed-threads")
    items = sorted((r for r in wf.query_step(name="items") if r.type == "Pod"), key=_order)
    assert [r.phase for r in items] == ["Succeeded", "Succeeded", "Failed", "Succeeded", "Error"]
    ok = [r for r in items if r.phase == "Succeeded"]
    assert [r.outputs.parameters["y"].value for r in ok] == [10, 20, 40]
    pids = {r.outputs.parameters["pid"].value for r in ok}
    importers = {pid for pid, _ in _imports_in_jobs(mods / "packed_threaded.log")}
    assert pids <= importers  # every item imported the module itself: nothing forked after the thread
    group_log = (_attempt(items[0]) / "group.log").read_text()
    assert "started 1 Python thread(s)" in group_log and "fresh interpreter" in group_log
