"""Run dflow's own test programs on dflow_like with only the imports renamed.

The bar (mission.md) is that a dflow program runs here with nothing but its import names
changed. dflow's test programs are the kind users bring, but they are not ours to commit: this
module fetches them from the pydflow sdist at run time, renames the imports in a temporary copy
and runs each as a script, exactly as a user would (``python test_x.py``), in its own working
directory and with its own ``DFLOW_LIKE_HOME``. Shared by ``tests/compat/test_dflow_programs.py``
and ``bench/dflow_compat.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

PYDFLOW_VERSION = "1.8.134"
PROGRAMS = (
    "python",
    "dag",
    "big_parameter",
    "conditional_outputs",
    "group_size",
    "makevasp",
    "recurse",
    "reuse",
    "slices",
    "subpath_slices",
)
TIMEOUT = 120.0

# Only import names change: ``from dflow[.x] import`` / ``import dflow[.x]``. A bare
# ``import dflow`` keeps the name ``dflow`` bound so that ``dflow.config`` etc. still resolve.
_FROM = re.compile(r"^(\s*)from\s+dflow(?=[\s.])", re.MULTILINE)
_IMPORT = re.compile(r"^(\s*)import\s+dflow(\.python)?\s*$", re.MULTILINE)


class FetchError(RuntimeError):
    """The pydflow sdist could not be obtained (typically: no network)."""


@dataclass(frozen=True)
class ProgramResult:
    name: str
    returncode: int | None  # None: killed after the timeout
    seconds: float
    output: str  # stdout and stderr, interleaved

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def verdict(self) -> str:
        if self.returncode is None:
            return "TIMEOUT"
        return "pass" if self.ok else f"FAIL (exit {self.returncode})"


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dflow-like-compat"


def fetch_sdist(cache_dir: Path, version: str = PYDFLOW_VERSION) -> Path:
    """The pydflow sdist, downloaded once into ``cache_dir`` with pip (source only, no deps)."""
    name = f"pydflow-{version}.tar.gz"
    target = cache_dir / name
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    cmd += ["--disable-pip-version-check", "--quiet", f"pydflow=={version}", "-d", str(cache_dir)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired as exc:
        raise FetchError(f"`pip download pydflow=={version}` timed out after {exc.timeout:.0f} s") from exc
    if proc.returncode != 0 or not target.is_file():
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        why = [line for line in lines if line.startswith("ERROR")] or lines[-3:]
        raise FetchError(f"`pip download pydflow=={version}` failed (exit {proc.returncode}): {' | '.join(why)}")
    return target


def rename_imports(source: str) -> str:
    """dflow's imports -> dflow_like's; nothing else in the program changes."""
    source = _FROM.sub(r"\1from dflow_like", source)

    def bare(match: re.Match[str]) -> str:
        indent, sub = match.group(1), match.group(2) or ""
        return f"{indent}import dflow_like{sub}; import dflow_like as dflow"

    return _IMPORT.sub(bare, source)


def extract_programs(sdist: Path, dest: Path, names: Iterable[str] = PROGRAMS) -> dict[str, Path]:
    """Write ``test_<name>.py`` from the sdist's ``tests/``, imports renamed, into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    wanted = {f"test_{name}.py": name for name in names}
    found: dict[str, Path] = {}
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if len(parts) == 3 and parts[1] == "tests" and parts[2] in wanted and member.isfile():
                handle = tar.extractfile(member)
                assert handle is not None
                path = dest / parts[2]
                path.write_text(rename_imports(handle.read().decode("utf-8")), encoding="utf-8")
                found[wanted[parts[2]]] = path
    missing = [name for name in wanted.values() if name not in found]
    if missing:
        raise FetchError(f"{sdist.name} has no tests/ program for: {', '.join(missing)}")
    return {name: found[name] for name in wanted.values()}


def _terminate_runs(env: dict[str, str]) -> None:
    """After a timeout: stop the engines of that program's runs (they live in their own sessions)."""
    code = "import dflow_like\nfor i in dflow_like.list_workflows():\n    dflow_like.Workflow(id=i).terminate()\n"
    subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=60, check=False)


def run_program(name: str, script: Path, workdir: Path, timeout: float = TIMEOUT) -> ProgramResult:
    """``python test_<name>.py`` in a fresh cwd with its own home, as a user would run it."""
    cwd = workdir / name
    cwd.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DFLOW_LIKE_", "DFLOW_"))}
    env["DFLOW_LIKE_HOME"] = str(workdir / f"{name}-home")
    env["PYTHONUNBUFFERED"] = "1"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
        returncode: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        output, _ = proc.communicate()
        returncode = None
        _terminate_runs(env)
    return ProgramResult(name, returncode, time.perf_counter() - t0, output)


def run_programs(
    scripts: dict[str, Path], workdir: Path, workers: int = 4, timeout: float = TIMEOUT
) -> dict[str, ProgramResult]:
    """All programs at once: they mostly sleep (dflow's tests poll with ``time.sleep(1)``)."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(run_program, name, path, workdir, timeout) for name, path in scripts.items()}
        return {name: future.result() for name, future in futures.items()}


def prepare(cache_dir: Path | None = None, dest: Path | None = None) -> dict[str, Path]:
    """Fetch (cached) and extract the ten programs; raises ``FetchError`` if that is impossible."""
    sdist = fetch_sdist(cache_dir or default_cache_dir())
    return extract_programs(sdist, dest or Path(tempfile.mkdtemp(prefix="dflow-programs-")))
