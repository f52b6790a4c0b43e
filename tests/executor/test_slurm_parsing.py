"""Slurm's text → statuses, on output captured from slurm-wlm 22.05."""

from __future__ import annotations

import pytest

from dflow_like.executor.slurm.parsing import (
    parse_config,
    parse_records,
    parse_sbatch_id,
    parse_squeue,
    statuses_from_records,
)
from dflow_like.executor.slurm.states import JobState, exit_code_from_slurm, status_from_slurm

JOBCOMP = "\n".join(
    [
        "JobId=2 UserId=root(0) GroupId=root(0) Name=wrap JobState=FAILED Partition=debug "
        "TimeLimit=UNLIMITED StartTime=2026-11-22T04:26:18 EndTime=2026-11-22T04:26:19 "
        "NodeList=vm NodeCnt=1 ProcCnt=1 WorkDir=/tmp/slt ReservationName= "
        "Tres=cpu=1,mem=4000M,node=1,billing=1 Account= QOS= WcKey= Cluster=unknown "
        "DerivedExitCode=0:0 ExitCode=3:0",
        "JobId=3 UserId=root(0) Name=wrap JobState=OUT_OF_MEMORY WorkDir=/tmp/slt ExitCode=0:125",
        "JobId=7 UserId=root(0) Name=wrap JobState=FAILED Partition=debug WorkDir=/tmp/a b "
        "ArrayJobId=5 ArrayTaskId=1 DerivedExitCode=0:0 ExitCode=1:0",
    ]
)


def test_sbatch_id() -> None:
    assert parse_sbatch_id("42\n") == "42"
    assert parse_sbatch_id("42;cluster\n") == "42"
    with pytest.raises(ValueError):
        parse_sbatch_id("Submitted batch job 42")


def test_squeue_rows() -> None:
    rows = parse_squeue("5_0|PENDING|/w|Resources\n4|RUNNING|/w|None\n1|COMPLETED|/x|None\n")
    assert rows["5_0"][0].state is JobState.PENDING
    assert rows["5_0"][0].reason == "PENDING (Resources)"
    assert rows["4"][0].state is JobState.RUNNING
    assert rows["1"] == (status_from_slurm("COMPLETED"), "/x")
    assert rows["1"][0].exit_code == 0


def test_records_with_array_tasks_and_spaces() -> None:
    rows = statuses_from_records(parse_records(JOBCOMP))
    assert rows["2"][0].state is JobState.FAILED and rows["2"][0].exit_code == 3
    assert rows["3"][0].state is JobState.OUT_OF_MEMORY
    assert rows["5_1"] == (rows["5_1"][0], "/tmp/a b")
    assert "7" not in rows


@pytest.mark.parametrize(
    ("slurm", "ours"),
    [
        ("PENDING", JobState.PENDING),
        ("REQUEUED", JobState.PENDING),
        ("CONFIGURING", JobState.PENDING),
        ("RUNNING", JobState.RUNNING),
        ("COMPLETING", JobState.RUNNING),
        ("SUSPENDED", JobState.RUNNING),
        ("COMPLETED", JobState.SUCCEEDED),
        ("FAILED", JobState.FAILED),
        ("CANCELLED by 0", JobState.CANCELLED),
        ("CANCELLED+", JobState.CANCELLED),
        ("TIMEOUT", JobState.TIMEOUT),
        ("DEADLINE", JobState.TIMEOUT),
        ("OUT_OF_MEMORY", JobState.OUT_OF_MEMORY),
        ("NODE_FAIL", JobState.NODE_FAIL),
        ("BOOT_FAIL", JobState.NODE_FAIL),
        ("PREEMPTED", JobState.NODE_FAIL),
        ("WEIRD_NEW_STATE", JobState.UNKNOWN),
        ("", JobState.UNKNOWN),
    ],
)
def test_state_mapping(slurm: str, ours: JobState) -> None:
    assert status_from_slurm(slurm).state is ours


def test_exit_codes() -> None:
    assert exit_code_from_slurm("3:0") == 3
    assert exit_code_from_slurm("0:9") == 137
    assert exit_code_from_slurm("0:0") == 0
    assert exit_code_from_slurm("n/a") is None


def test_config() -> None:
    conf = parse_config("JobCompType             = jobcomp/filetxt\nJobCompLoc = /b/jc.txt\n")
    assert conf == {"JobCompType": "jobcomp/filetxt", "JobCompLoc": "/b/jc.txt"}
