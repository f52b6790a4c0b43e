"""Credentials stay out of the home, logs, manifests, pickles and step environments.

Before: ``workflow.pkl`` (0644 in a 0755 home) held S3 keys and the Argo token when a
user's function carried them as globals or a storage-plugin instance held them, and every
step's environment held ``DFLOW_LIKE_S3_SECRET_KEY``. The grep here is the README's claim.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dflow_like import DispatcherExecutor, Step, Workflow, config, s3_config
from dflow_like._credentials import CredentialError, load_scrubbed, scrubbed_pickle
from dflow_like.executor.slurm.local_cluster import LocalSlurmCluster
from dflow_like.python import PythonOPTemplate
from dflow_like.storage.seaweed import SeaweedFS

from .ops_reliability import Probe

ACCESS = "AKIA-reliability-access-7f3e"
SECRET = "reliability-secret-key-9b2c41d0"
TOKEN = "argo-token-reliability-5e1a"
PLUGIN_SECRET = "plugin-held-secret-c0ffee42"

SCRIPT = textwrap.dedent("""
    import hashlib, os, sys
    from pathlib import Path
    from dflow_like import ShellOPTemplate, Step, Workflow, config, s3_config
    from dflow_like.python import OP, OPIO, OPIOSign, PythonOPTemplate

    ACCESS, SECRET, TOKEN, PLUGIN_SECRET, HOW = sys.argv[1:6]
    s3_config["access_key"] = ACCESS
    config["token"] = TOKEN
    os.environ["DFLOW_LIKE_S3_SECRET_KEY"] = SECRET  # as if exported in the user's shell

    class PluginStore:  # a storage plugin holding its own keys (never used here: the store is local)
        def __init__(self, access_key, secret_key):
            self.access_key, self.secret_key = access_key, secret_key

    s3_config["storage_client"] = PluginStore("plugin", PLUGIN_SECRET)
    CARRIED = SECRET  # a global the OP uses: pickled by value with it
    if HOW == "url":
        URL = f"http://{ACCESS}:{SECRET}@store.example"  # a credential inside a larger value

    class Probe(OP):
        @classmethod
        def get_input_sign(cls):
            return OPIOSign({})

        @classmethod
        def get_output_sign(cls):
            return OPIOSign({"carried": str, "seen": str})

        def execute(self, op_in):
            everything = [ACCESS, SECRET, TOKEN, PLUGIN_SECRET]
            if HOW == "url":
                everything.append(URL)
            with open("/proc/self/environ", "rb") as fh:
                proc = fh.read().decode(errors="replace")
            seen = [s for s in everything if s in proc or any(s in v for v in os.environ.values())]
            print("probe ran; credentials in my environment:", len(seen))
            return OPIO({"carried": hashlib.sha256(CARRIED.encode()).hexdigest(), "seen": str(len(seen))})

    PRINT_ENV = "env; tr '\\\\0' '\\\\n' < /proc/self/environ"
    wf = Workflow("secrets")
    wf.add([
        Step("probe", PythonOPTemplate(Probe)),
        Step("env", ShellOPTemplate("print-env", image="python:3.11", script=PRINT_ENV)),
    ])
    wf.submit()
    print(wf.id)
    print(wf.wait(timeout=120))
    Path(sys.argv[6]).write_text(wf.to_yaml())
""")


def _run_script(tmp_path: Path, how: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "secrets_script.py"
    script.write_text(SCRIPT)
    manifest = tmp_path / "manifest.yaml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DFLOW_LIKE_S3_")}
    return subprocess.run(
        [sys.executable, str(script), ACCESS, SECRET, TOKEN, PLUGIN_SECRET, how, str(manifest)],
        capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path,
    )  # fmt: skip


def _grep(root: Path, secrets: list[str]) -> list[str]:
    """Every (file, secret) where a secret's bytes appear in a file under ``root``."""
    hits = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        data = path.read_bytes()
        hits += [f"{path}: {s[:6]}..." for s in secrets if s.encode() in data]
    return hits


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_no_credential_in_home_logs_manifests_pickles_or_step_environments(tmp_path: Path, isolated_home: Path) -> None:
    run = _run_script(tmp_path, "plain")
    assert run.returncode == 0, run.stderr
    wf_id, phase = run.stdout.split()[:2]
    assert phase == "Succeeded", run.stderr
    wf = Workflow(id=wf_id)
    probe = wf.query_step(name="probe")[0].outputs.parameters
    assert probe["seen"].value == "0"  # in os.environ or /proc/self/environ of the step
    assert probe["carried"].value == hashlib.sha256(SECRET.encode()).hexdigest()  # restored in the engine
    assert "probe ran" in Path(str(wf.query_step(name="probe")[0].log_path)).read_text()
    assert "PATH=" in Path(str(wf.query_step(name="env")[0].log_path)).read_text()  # a step that prints its env
    assert (tmp_path / "manifest.yaml").stat().st_size > 0
    # The home (pickles, state, engine and step logs, the local store), the manifest, the work dir:
    assert isolated_home.parent == tmp_path
    assert _grep(tmp_path, [ACCESS, SECRET, TOKEN, PLUGIN_SECRET]) == []


def test_home_and_run_files_are_private(tmp_path: Path, isolated_home: Path) -> None:
    isolated_home.mkdir(mode=0o755)
    isolated_home.chmod(0o755)  # an older home: tightened on the next run
    wf = Workflow("private")
    wf.add(Step("probe", PythonOPTemplate(Probe), parameters={"tag": "x"}))
    wf.submit()
    assert wf.wait(timeout=120) == "Succeeded"
    run_dir = isolated_home / "workflows" / str(wf.id)
    for directory in (isolated_home, isolated_home / "workflows", run_dir):
        assert _mode(directory) == 0o700, directory
    rec = wf.query_step(name="probe")[0]
    private = [run_dir / "workflow.pkl", run_dir / "launch.json", run_dir / "state.db", run_dir / "engine.log"]
    for path in [*private, Path(str(rec.log_path))]:
        assert _mode(path) == 0o600, path


def test_a_credential_inside_a_larger_value_is_refused(tmp_path: Path, isolated_home: Path) -> None:
    run = _run_script(tmp_path, "url")
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert "CredentialError: the workflow carries the credential s3_config." in last
    assert "inside a larger value" in last
    assert SECRET not in run.stderr and ACCESS not in run.stderr
    assert _grep(isolated_home, [ACCESS, SECRET, TOKEN, PLUGIN_SECRET]) == []
    workflows = isolated_home / "workflows"
    assert not workflows.exists() or not list(workflows.iterdir())  # nothing half-submitted


def test_only_steps_that_use_the_store_hold_its_keys(s3_settings: SeaweedFS, isolated_home: Path) -> None:
    """With ``debug_s3`` a step's outputs go to S3: it keeps the keys in memory, never in its environment."""
    config["token"] = TOKEN
    config["debug_s3"] = True
    wf = Workflow("store-keys")
    wf.add(Step("uses-store", PythonOPTemplate(Probe), parameters={"tag": "s3"}))
    wf.submit()
    assert wf.wait(timeout=120) == "Succeeded"
    rec = wf.query_step(name="uses-store")[0]
    assert rec.outputs.parameters["env"].value == ""  # no credential in the step's environment
    assert rec.outputs.parameters["held"].value == "access_key,secret_key"  # the store's keys, in memory
    assert _grep(isolated_home, [s3_settings.secret_key, TOKEN]) == []

    config["debug_s3"] = False
    wf = Workflow("no-store")
    wf.add(Step("local", PythonOPTemplate(Probe), parameters={"tag": "local"}))
    wf.submit()
    assert wf.wait(timeout=120) == "Succeeded"
    rec = wf.query_step(name="local")[0]
    assert rec.outputs.parameters["env"].value == ""
    assert rec.outputs.parameters["held"].value == ""  # a step that never touches S3 holds no keys


@pytest.mark.slurm
def test_a_slurm_job_moving_artifacts_through_s3_still_gets_the_keys(
    s3_settings: SeaweedFS, slurm_cluster: LocalSlurmCluster, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's environment no longer has them: a local ``sbatch`` is handed them, the job's runner
    keeps them in memory for the store and takes them out of the OP's environment.

    A job reads the rest of ``s3_config`` from the environment it inherits, as before.
    """
    monkeypatch.setenv("DFLOW_LIKE_S3_ENDPOINT", s3_settings.endpoint)
    monkeypatch.setenv("DFLOW_LIKE_S3_BUCKET_NAME", s3_settings.bucket)
    config["debug_s3"] = True
    wf = Workflow("slurm-store")
    executor = DispatcherExecutor(slurm_conf=str(slurm_cluster.slurm_conf))
    wf.add(Step("on-slurm", PythonOPTemplate(Probe), parameters={"tag": "slurm"}, executor=executor))
    wf.submit()
    assert wf.wait(timeout=180) == "Succeeded"
    rec = wf.query_step(name="on-slurm")[0]
    assert rec.job_id
    assert rec.outputs.parameters["env"].value == ""
    assert rec.outputs.parameters["held"].value == "access_key,secret_key"
    assert _grep(isolated_home, [s3_settings.secret_key]) == []


def test_scrubbed_pickle_round_trip_and_a_missing_credential() -> None:
    credentials = {"s3_config.secret_key": SECRET, "s3_config.storage_client.secret": PLUGIN_SECRET}
    value = {"carried": SECRET, "nested": [PLUGIN_SECRET, "other"]}
    data = scrubbed_pickle(value, credentials)
    assert SECRET.encode() not in data and PLUGIN_SECRET.encode() not in data
    assert load_scrubbed(io.BytesIO(data), credentials) == value
    missing = r"needs the credential s3_config.secret_key, which was not given \(set DFLOW_LIKE_S3_SECRET_KEY\)"
    with pytest.raises(CredentialError, match=missing):
        load_scrubbed(io.BytesIO(data), {"s3_config.storage_client.secret": PLUGIN_SECRET})
    with pytest.raises(CredentialError, match="configure the same storage client before resuming"):
        load_scrubbed(io.BytesIO(data), {"s3_config.secret_key": SECRET})


def test_pickles_for_slurm_jobs_and_argo_pods_refuse_credentials(tmp_path: Path) -> None:
    """They get no pipe: a template carrying a credential is refused, not written."""
    from dflow_like.engine.argo.bundle import build_bundle
    from dflow_like.runner.remote_entry import write_template

    s3_config["secret_key"] = SECRET
    with pytest.raises(CredentialError, match=r"credential s3_config\.secret_key .* the step's template\.pkl"):
        write_template(tmp_path, {"carried": SECRET}, {})
    assert not (tmp_path / "template.pkl").exists()
    scope = {"__name__": "__main__", "CARRIED": "prefix-" + SECRET}
    exec("def uses_carried():\n    return CARRIED\n", scope)  # a function of the user's script
    namespace = sys.modules["__main__"].__dict__
    namespace["_reliability_uses_carried"] = scope["uses_carried"]
    try:
        with pytest.raises(CredentialError, match=r"the Argo bundle's templates\.pkl"):
            build_bundle(tmp_path / "bundle", {})
    finally:
        del namespace["_reliability_uses_carried"]
    assert _grep(tmp_path, [SECRET]) == []


@pytest.fixture(autouse=True)
def _restore_settings() -> object:
    yield
    s3_config.reset()
    config.reset()
