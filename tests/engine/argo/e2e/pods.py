"""One pod: input artifacts in, the main container as a separate process, outputs out.

Each pod is a process on an :class:`~tests.engine.argo.e2e.images.Image` interpreter with its
own ``/tmp`` (as root: ``unshare -m`` and a bind mount of the pod's directory; otherwise
``DFLOW_LIKE_POD_ROOT`` tells our pod runner where its ``/`` is). The environment is the
container's ``env`` only (``secretKeyRef`` values resolved), plus ``PATH``/``HOME``.

Argo rules followed (v4.1.2 ``f016ad89``):

- ``activeDeadlineSeconds`` = template ``timeout`` minus the time since the node started
  (``podBuilder.build``, workflow/controller/workflowpod.go); when it is ``<= 1`` the pod is
  never created and the node errors with ``"<node> exceeded its deadline"``;
- a pod past its deadline is killed; the node fails with the kubelet's message
  (``inferFailedReason``, workflow/controller/operator.go), exit code 143 (SIGTERM);
- a non-zero exit of ``main`` fails the node with ``"main: Error (exit code N)"``
  (``inferFailedReason``);
- output parameters ``valueFrom.path`` are read after the container exits; a missing file
  takes ``valueFrom.default`` or errors (``WorkflowExecutor.SaveParameters``,
  workflow/executor/executor.go); artifacts are saved as in :mod:`.s3repo`;
- scripts: the source is written to a file whose path is appended to ``command``
  (Argo's ``/argo/staging/script``; here ``/tmp/argo/staging/script``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .images import Image
from .s3repo import ArtifactNotFound, Repository, Secrets, load_artifact, save_artifact

__all__ = ["PodResult", "run_pod"]

KILLED_BY_DEADLINE = 143
DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"
_MOUNT = 'mount --bind "$0" /tmp && exec "$@"'


@dataclass
class PodResult:
    phase: str  # Succeeded | Failed | Error
    message: str = ""
    exit_code: int | None = None
    parameters: list[dict[str, Any]] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    log: str = ""


def _in_tmp(root: Path, path: str) -> Path:
    if not (path == "/tmp" or path.startswith("/tmp/")):
        raise ValueError(f"emulator: only paths under /tmp are private to a pod, got {path!r}")
    return root / path.lstrip("/")


def _env(container: dict[str, Any], secrets: Secrets, image: Image, root: Path, isolated: bool) -> dict[str, str]:
    env = {"PATH": f"{image.bin}:/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}
    if not isolated:
        env["DFLOW_LIKE_POD_ROOT"] = str(root)
    for var in container.get("env") or []:
        if "value" in var:
            env[var["name"]] = str(var["value"])
        else:
            ref = var["valueFrom"]["secretKeyRef"]
            env[var["name"]] = secrets[ref["name"]][ref["key"]]
    return env


def _argv(body: dict[str, Any], image: Image, root: Path, isolated: bool) -> list[str]:
    argv = [str(a) for a in (body.get("command") or []) + (body.get("args") or [])]
    if "source" in body:
        script = _in_tmp(root, "/tmp/argo/staging/script")
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(body["source"])
        argv.append("/tmp/argo/staging/script" if isolated else str(script))
    if argv and argv[0] in ("python", "python3"):
        argv[0] = str(image.bin / "python3")  # resolve before /tmp is replaced
    elif argv and not os.path.isabs(argv[0]):
        argv[0] = shutil.which(argv[0], path=f"{image.bin}:/usr/bin:/bin") or argv[0]
    return argv


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def run_pod(
    name: str, tmpl: dict[str, Any], image: Image, pod_dir: Path, repo: Repository, secrets: Secrets,
    deadline: float | None,
) -> PodResult:  # fmt: skip
    """Run the (already substituted) pod template ``tmpl``; never raises for the pod's own failures."""
    root = pod_dir
    (root / "tmp").mkdir(parents=True, exist_ok=True)
    isolated = os.geteuid() == 0 and shutil.which("unshare") is not None
    for art in (tmpl.get("inputs") or {}).get("artifacts") or []:
        if not (art.get("s3") or {}).get("key"):
            if art.get("optional"):
                continue
            return PodResult("Error", f"required artifact '{art['name']}' not supplied")
        try:
            load_artifact(art, _in_tmp(root, art["path"]), repo, secrets)
        except ArtifactNotFound as exc:
            if art.get("optional"):
                continue
            return PodResult("Error", f"artifact {art['name']} failed to load: {exc}")
    body = tmpl.get("container") or tmpl.get("script") or {}
    env = _env(body, secrets, image, root, isolated)
    argv = _argv(body, image, root, isolated)
    cwd = body.get("workingDir") or "/tmp"
    if isolated:
        argv = ["unshare", "-m", "--propagation", "private", "sh", "-c", _MOUNT, str(root / "tmp"), *argv]
    else:
        cwd = str(_in_tmp(root, cwd)) if cwd.startswith("/tmp") else cwd
    log_path = pod_dir.parent / f"{name}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = proc.wait(timeout=deadline)
            killed = False
        except subprocess.TimeoutExpired:
            _kill(proc)
            code, killed = KILLED_BY_DEADLINE, True
    result = PodResult("Succeeded", exit_code=code, log=log_path.read_text(errors="replace"))
    if killed:
        result.phase, result.message = "Failed", DEADLINE_MESSAGE
    elif code != 0:
        result.phase, result.message = "Failed", f"main: Error (exit code {code})"
    _collect(tmpl, root, repo, secrets, result)
    return result


def _collect(tmpl: dict[str, Any], root: Path, repo: Repository, secrets: Secrets, result: PodResult) -> None:
    outputs = tmpl.get("outputs") or {}
    for par in outputs.get("parameters") or []:
        source = par.get("valueFrom") or {}
        if "path" not in source:
            if "value" in par:
                fixed = {k: par[k] for k in ("description",) if k in par}
                result.parameters.append({"name": par["name"], "value": str(par["value"]), **fixed})
            continue
        path = _in_tmp(root, source["path"])
        if path.is_file():
            value = path.read_text()
        elif "default" in source:
            value = str(source["default"])
        elif result.phase == "Succeeded":
            result.phase, result.message = "Error", f"open {source['path']}: no such file or directory"
            continue
        else:
            continue
        if value.endswith("\n"):  # SaveParameters trims off a single newline (executor.go)
            value = value[:-1]
        entry = {"name": par["name"], "value": value}
        if "description" in par:  # SaveParameters fills the template's own Parameter (executor.go)
            entry["description"] = par["description"]
        if par.get("globalName"):
            entry["globalName"] = par["globalName"]
        result.parameters.append(entry)
    for art in outputs.get("artifacts") or []:
        path = _in_tmp(root, art["path"])
        if not path.exists():
            if not art.get("optional") and result.phase == "Succeeded":
                result.phase, result.message = "Error", f"{art['path']}: no such file or directory"
            continue
        result.artifacts.append(save_artifact(art, path, repo, secrets, root / "staging"))
