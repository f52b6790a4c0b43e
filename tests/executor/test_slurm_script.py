"""The sbatch script: directives from the description, safe quoting, arrays."""

from __future__ import annotations

import shlex
import subprocess

import pytest

from dflow_like.executor import DispatcherExecutor
from dflow_like.executor.slurm.script import array_log_path, job_name_for_slurm, render_script


def _render(spec: DispatcherExecutor, **kw: object) -> str:
    args: dict[str, object] = {
        "command": ["python", "-m", "dflow_like.runner", "/w/step"],
        "workdir": "/w/step",
        "job_name": "step-1",
        "log_path": "/w/step/slurm.log",
    }
    args.update(kw)
    return render_script(spec, **args)  # type: ignore[arg-type]


def _directives(script: str) -> list[str]:
    return [line.split(" ", 1)[1] for line in script.splitlines() if line.startswith("#SBATCH")]


def test_minimal_script_has_name_logs_workdir_and_command() -> None:
    script = _render(DispatcherExecutor())
    assert script.startswith("#!/bin/bash\n")
    assert _directives(script) == [
        "--job-name=step-1",
        "--output=/w/step/slurm.log",
        "--error=/w/step/slurm.log",
        "--chdir=/w/step",
    ]
    assert "cd /w/step || exit 1\npython -m dflow_like.runner /w/step\nstatus=$?\n" in script
    assert script.endswith('exit "$status"\n')


def test_resources_become_directives() -> None:
    spec = DispatcherExecutor(
        queue_name="gpu",
        cpus=4,
        memory="2G",
        gpus=1,
        time_limit=90,
        account="chem",
        nodes=1,
        sbatch_lines=["#SBATCH --qos=high", "--exclusive"],
    )
    assert _directives(_render(spec))[4:] == [
        "--nodes=1",
        "--cpus-per-task=4",
        "--mem=2G",
        "--gres=gpu:1",
        "--time=0:02:00",
        "--partition=gpu",
        "--account=chem",
        "--qos=high",
        "--exclusive",
    ]


def test_array_directive_and_per_task_log() -> None:
    spec = DispatcherExecutor(array=True, array_parallelism=5)
    lines = _directives(_render(spec, array_size=100))
    assert "--array=0-99%5" in lines
    assert "--output=/w/step/slurm_%a.log" in lines
    assert array_log_path("/l/x_%a.txt", 3) == "/l/x_%a.txt"
    assert array_log_path("/l/x.txt", None) == "/l/x.txt"


def test_hostile_values_stay_quoted() -> None:
    evil = "/w/a b; rm -rf ~ $(reboot)"
    spec = DispatcherExecutor(envs={"GREETING": "it's $HOME `x`"}, pre_script="module load x")
    script = _render(spec, command=["echo", evil], workdir=evil, job_name="a b;c")
    assert f"cd {shlex.quote(evil)} || exit 1" in script
    assert f"echo {shlex.quote(evil)}" in script
    assert "export GREETING='it'\"'\"'s $HOME `x`'" in script
    assert "--job-name=a_b_c" in _directives(script)
    assert f'--chdir="{evil}"' in _directives(script)
    assert script.index("module load x") < script.index("echo ")
    subprocess.run(["bash", "-n"], input=script, text=True, check=True)


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValueError, match="one line"):
        _render(DispatcherExecutor(), log_path="/w/a\n#SBATCH --uid=0")
    with pytest.raises(ValueError, match="environment variable name"):
        _render(DispatcherExecutor(envs={"A B": "1"}))
    with pytest.raises(ValueError, match="array_size"):
        _render(DispatcherExecutor(), array_size=0)
    with pytest.raises(ValueError, match="empty command"):
        _render(DispatcherExecutor(), command=[])


def test_job_name_is_plain() -> None:
    assert job_name_for_slurm("wf/step [3]") == "wf_step__3_"
    assert job_name_for_slurm("") == "step"
