"""DispatcherExecutor: dflow's arguments, dpdispatcher's dicts, validation, pickling."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from dflow_like.executor import DispatcherExecutor


def test_dflow_positional_order_is_kept() -> None:
    spec = DispatcherExecutor("hpc.example", "normal", 2222, "alice")
    assert (spec.host, spec.queue_name, spec.port, spec.username) == (
        "hpc.example",
        "normal",
        2222,
        "alice",
    )
    assert spec.partition == "normal"
    assert spec.is_remote


def test_local_by_default() -> None:
    spec = DispatcherExecutor(cpus=2, memory=512, time_limit="1-00:00:00")
    assert not spec.is_remote
    assert (spec.cpus, spec.memory, spec.time_limit) == (2, "512M", "1-00:00:00")


def test_dpdispatcher_dicts_map_onto_ours() -> None:
    spec = DispatcherExecutor(
        machine_dict={
            "batch_type": "Slurm",
            "context_type": "SSHContext",
            "remote_root": "/scratch/wf",
            "remote_profile": {"hostname": "login1", "username": "bob", "port": 22},
        },
        resources_dict={
            "number_node": 1,
            "cpu_per_node": 8,
            "gpu_per_node": 2,
            "queue_name": "gpu",
            "group_size": 5,
            "custom_flags": ["#SBATCH --qos=low"],
            "module_list": ["vasp/6"],
            "source_list": ["/opt/env.sh"],
            "envs": {"OMP_NUM_THREADS": 8},
        },
    )
    assert (spec.host, spec.username, spec.remote_root) == ("login1", "bob", "/scratch/wf")
    assert (spec.nodes, spec.cpus, spec.gpus, spec.partition, spec.group_size) == (
        1,
        8,
        2,
        "gpu",
        5,
    )
    assert spec.queue_name == "gpu"
    assert spec.sbatch_lines == ["--qos=low"]
    assert spec.pre_script == "module load vasp/6\nsource /opt/env.sh"
    assert spec.envs == {"OMP_NUM_THREADS": "8"}
    assert spec.is_remote


def test_local_context_dict_means_local(tmp_path: Path) -> None:
    conf = {"machine": {"batch_type": "Slurm", "context_type": "LocalContext"}, "resources": {}}
    path = tmp_path / "m.json"
    path.write_text(json.dumps(conf))
    assert not DispatcherExecutor(json_file=path).is_remote


def test_conflicts_and_bad_values_are_refused() -> None:
    with pytest.raises(ValueError, match="cpus=4 disagrees"):
        DispatcherExecutor(cpus=4, resources_dict={"cpu_per_node": 8})
    with pytest.raises(ValueError, match="only 'Slurm'"):
        DispatcherExecutor(machine_dict={"batch_type": "PBS"})
    with pytest.raises(ValueError, match="memory"):
        DispatcherExecutor(memory="lots")
    with pytest.raises(ValueError, match="time_limit"):
        DispatcherExecutor(time_limit="soon")
    with pytest.raises(ValueError, match="container"):
        DispatcherExecutor(singularity_executable="singularity")
    with pytest.raises(ValueError, match="partition"):
        DispatcherExecutor(queue_name="a", partition="b")


def test_pickles_without_the_password() -> None:
    spec = DispatcherExecutor(host="h", password="hunter2", private_key_file="/k", memory="1G")  # needs no sshpass
    assert "hunter2" not in repr(spec)
    copy = pickle.loads(pickle.dumps(spec))
    assert copy.password is None
    assert (copy.host, copy.memory) == ("h", "1G")
    assert b"hunter2" not in pickle.dumps(spec)


def test_runner_command_uses_the_spec_python() -> None:
    import sys

    from dflow_like.executor.slurm import SlurmExecutor

    local = SlurmExecutor(DispatcherExecutor())
    assert local.runner_command("/s") == [sys.executable, "-m", "dflow_like.runner", "/s"]
    chosen = SlurmExecutor(DispatcherExecutor(command="/opt/py/bin/python"))
    assert chosen.runner_command("/s")[0] == "/opt/py/bin/python"
