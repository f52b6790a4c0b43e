"""``SlurmExecutor``: submit step runners as Slurm jobs and watch them, without blocking.

The local engine's loop calls ``submit`` / ``poll`` / ``cancel``; each is one or two short
Slurm commands. ``poll`` asks ``squeue`` about many jobs at once (finished jobs stay there
for ``MinJobAge``, 300 s by default), asks ``scontrol`` only for the exit codes of failed
jobs, and falls back to the jobcomp text file for jobs Slurm has already forgotten. Final
states are remembered, so a finished job is never asked about again.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections.abc import Iterable, Sequence

from ..dispatcher import DispatcherExecutor, no_sshpass
from ..slurm_remote import SlurmRemoteExecutor
from .parsing import (
    SQUEUE_FORMAT,
    parse_config,
    parse_records,
    parse_sbatch_id,
    parse_squeue,
    statuses_from_records,
)
from .script import render_script
from .states import JobState, JobStatus
from .transport import LocalTransport, SshTransport, Transport, transient
from .workdir import WorkdirTransport

__all__ = ["SlurmError", "SlurmExecutor", "SlurmSubmitError", "transport_for"]

_Row = tuple[JobStatus, str]
_GONE = ("Invalid job id", "already completing or completed")
# ssh's own words when it never reached the host: an sbatch behind them did not run
_NOT_CONNECTED = re.compile(r"ssh: connect to host|kex_exchange_identification|Could not resolve hostname")
# In a remote job's working directory: the other directories the job uses, one a line
# (a packed job's other items), so fetching its results, even after an engine restart,
# brings every one of them back.
STAGED_FILE = ".dflow-staged"


class SlurmError(RuntimeError):
    """A Slurm command failed; the message carries Slurm's own text."""


class SlurmSubmitError(SlurmError):
    """``sbatch`` refused a job."""


def transport_for(spec: DispatcherExecutor, run_root: str | None = None, run_id: str | None = None) -> Transport:
    """The transport a description asks for: local ``sbatch`` or SSH to ``spec.host``.

    A ``SlurmRemoteExecutor`` copies steps to its ``workdir``, whose placeholders need the
    run (``run_root``: its directory, ``run_id``: ``{{workflow.name}}``).
    """
    if isinstance(spec, SlurmRemoteExecutor):
        if run_root is None or run_id is None:
            raise ValueError("SlurmRemoteExecutor: its workdir is per run; the engine gives run_root and run_id")
        return WorkdirTransport(
            spec.workdir,
            run_root,
            run_id,
            spec.host or "",
            spec.username,
            port=spec.port,
            key_file=spec.private_key_file,
            options=spec.ssh_options,
            slurm_conf=spec.slurm_conf,
            password=_password(spec),
            retries=spec.action_retries,
        )
    if not spec.is_remote:
        return LocalTransport(spec.slurm_conf)
    if not spec.host:
        raise ValueError("DispatcherExecutor: an SSH context needs host=...")
    root = spec.remote_root or (
        "/root/dflow/workflows" if spec.username == "root" else f"/home/{spec.username}/dflow/workflows"
    )
    # dflow's DispatcherExecutor has no retry keyword (dpdispatcher's SSHSession retries by itself):
    # connection losses are ridden out for OUTAGE_SECONDS, as an unreachable controller is
    return SshTransport(
        spec.host,
        spec.username,
        root,
        port=spec.port,
        key_file=spec.private_key_file,
        options=spec.ssh_options,
        slurm_conf=spec.slurm_conf,
        password=_password(spec),
    )


def _password(spec: DispatcherExecutor) -> str | None:
    """The password for sshpass to type, or None: keys only (also when sshpass is gone and a key is given)."""
    password = spec.login_password()
    if password is None or shutil.which("sshpass") is not None:
        return password
    if spec.private_key_file:
        return None
    raise ValueError(no_sshpass(type(spec).__name__))


def _base(job_id: str) -> str:
    return job_id.split("_", 1)[0]


class SlurmExecutor:
    """Runs commands as Slurm jobs for the engine; see the module docstring for the polling."""

    def __init__(self, spec: DispatcherExecutor, transport: Transport | None = None) -> None:
        self.spec = spec
        self.transport = transport if transport is not None else transport_for(spec)
        self._final: dict[str, JobStatus] = {}
        self._fetched: set[str] = set()
        # job id (or array task) → why its directories did not come back (the step fails with it)
        self.fetch_errors: dict[str, str] = {}
        self._jobcomp: str | None = None
        self._jobcomp_known = False

    # -- submit ----------------------------------------------------------------------------

    def python(self) -> list[str]:
        """The Python that runs step runners where the jobs run: the spec's, else this
        interpreter locally and ``python3`` on a remote cluster (this one's path means
        nothing there)."""
        python = self.spec.remote_command if self.spec.is_remote else None
        python = python or self.spec.command
        if not python:
            python = ["python3"] if self.spec.is_remote else [sys.executable]
        return list(python)

    def runner(self) -> list[str]:
        """``python -m dflow_like.runner`` with the Python the spec asks for (``python``)."""
        return [*self.python(), "-m", "dflow_like.runner"]

    def runner_command(self, step_dir: str) -> list[str]:
        """``python -m dflow_like.runner STEP_DIR``."""
        return [*self.runner(), step_dir]

    def submit(
        self,
        command: list[str],
        workdir: str,
        job_name: str,
        log_path: str,
        array_size: int | None = None,
        also: Sequence[str] = (),
    ) -> str:
        """Submit ``command`` to run in ``workdir``; return Slurm's job id at once.

        ``also``: other directories the job reads and writes (a packed job's other items).
        Over SSH each is copied to the cluster with ``workdir``, paths in ``command`` under
        any of them are rewritten to the remote copy, and all come back when the job ends.
        An array job's tasks are ``ID_0 .. ID_{N-1}``; each reads ``$SLURM_ARRAY_TASK_ID``.
        """
        workdir = os.path.abspath(workdir)
        staged = [workdir, *(os.path.abspath(d) for d in also if os.path.abspath(d) != workdir)]
        log_path = os.path.abspath(log_path)
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        remote = self.transport.remote_path
        script = render_script(
            self.spec,
            [self._map_path(arg, staged) for arg in command],
            remote(workdir),
            job_name,
            remote(log_path),
            array_size,
        )
        with open(log_path + ".sbatch", "w", encoding="utf-8") as handle:
            handle.write(script)
        if self.spec.is_remote and len(staged) > 1:
            with open(os.path.join(workdir, STAGED_FILE), "w", encoding="utf-8") as handle:
                handle.write("".join(f"{d}\n" for d in staged[1:]))
        for directory in staged:
            self.transport.put(directory)
        if self.spec.is_remote and not log_path.startswith(workdir + os.sep):
            self.transport.run(["mkdir", "-p", "--", remote(os.path.dirname(log_path))])
        return self._sbatch(script, job_name, remote(workdir))

    def _map_path(self, arg: str, staged: Sequence[str]) -> str:
        if any(arg == d or arg.startswith(d + os.sep) for d in staged):
            return self.transport.remote_path(arg)
        return arg

    def _sbatch(self, script: str, job_name: str, workdir: str) -> str:
        attempts = 1 + max(0, self.spec.retry_on_submission_error or 0)
        message = ""
        for attempt in range(attempts):
            if attempt:
                time.sleep(min(2.0**attempt, 30.0))
            # one try each: a connection lost mid-call may have submitted the job (below)
            done = self.transport.run(["sbatch", "--parsable"], stdin=script, retry=False)
            if done.returncode == 0:
                try:
                    return parse_sbatch_id(done.stdout)
                except ValueError as exc:
                    message = str(exc)
                    continue
            message = (done.stderr or done.stdout).strip() or f"exit code {done.returncode}"
            if self.spec.is_remote and transient(done) and not _NOT_CONNECTED.search(done.stderr or ""):
                found = self._submitted_in(workdir)  # the connection broke after ssh reached the host
                if found is not None:
                    return found
        raise SlurmSubmitError(f"sbatch refused job {job_name!r}: {message}")

    def _submitted_in(self, workdir: str) -> str | None:
        """The job already submitted to run in ``workdir`` (unique to a step's attempt), if any.

        An ``sbatch`` whose SSH connection broke mid-call may have submitted its job; sending
        the script again would run the step twice on the cluster (and leave the first job
        orphaned). Its ``--chdir`` (``%Z``) names it. The query is read-only, so the
        transport's own retries apply to it.
        """
        done = self.transport.run(["squeue", "-h", "-t", "all", "--me", "-o", "%i|%Z"])
        if done.returncode != 0:
            return None
        ids = [line.partition("|")[0] for line in done.stdout.splitlines() if line.partition("|")[2] == workdir]
        bases = sorted({job.partition("_")[0] for job in ids if job}, key=int)
        return bases[-1] if bases else None

    # -- poll ------------------------------------------------------------------------------

    def poll(self, job_ids: list[str]) -> dict[str, JobStatus]:
        """Status of each id (``ID`` or ``ID_INDEX``); an array's ``ID`` also adds every task.

        An array's own ``ID`` maps to an aggregate: running while any task is, succeeded when
        all did, else the first unsuccessful task's state. Slurm's command failures come back
        as ``UNKNOWN`` with Slurm's message: the engine keeps polling and applies its timeout.
        """
        wanted = [j for j in dict.fromkeys(job_ids) if j not in self._final]
        rows: dict[str, _Row] = {}
        if wanted:
            try:
                rows = self._query(sorted({_base(j) for j in wanted}))
            except SlurmError as exc:
                return self._answer(job_ids, {}, JobStatus(JobState.UNKNOWN, None, str(exc)))
        self._remember(rows)
        return self._answer(job_ids, rows, None)

    def _query(self, bases: list[str]) -> dict[str, _Row]:
        rows = self._squeue(bases)
        failed = sorted({_base(k) for k, (s, _) in rows.items() if s.state is JobState.FAILED})
        for base in failed:
            rows.update(self._scontrol(base))
        missing = [b for b in bases if not any(_base(k) == b for k in rows)]
        if missing:
            rows.update(self._from_jobcomp(missing))
        return rows

    def _squeue(self, bases: list[str]) -> dict[str, _Row]:
        argv = ["squeue", "-h", "-r", "-t", "all", "-j", ",".join(bases), "-o", SQUEUE_FORMAT]
        done = self.transport.run(argv, retry=False)  # the next poll is the retry (UNKNOWN meanwhile)
        if done.returncode != 0:
            if "Invalid job id" in done.stderr:
                return {}
            raise SlurmError(f"squeue failed: {done.stderr.strip() or done.returncode}")
        return parse_squeue(done.stdout)

    def _scontrol(self, base: str) -> dict[str, _Row]:
        """Exit codes (squeue has none); only final records, so squeue's view stays current."""
        done = self.transport.run(["scontrol", "show", "job", "-o", base])
        if done.returncode != 0:
            return {}
        found = statuses_from_records(parse_records(done.stdout))
        return {k: row for k, row in found.items() if row[0].state.finished}

    def _jobcomp_path(self) -> str | None:
        if not self._jobcomp_known:
            done = self.transport.run(["scontrol", "show", "config"])
            conf = parse_config(done.stdout) if done.returncode == 0 else {}
            if conf.get("JobCompType") == "jobcomp/filetxt" and conf.get("JobCompLoc"):
                self._jobcomp = conf["JobCompLoc"]
            self._jobcomp_known = done.returncode == 0
        return self._jobcomp

    def _from_jobcomp(self, bases: list[str]) -> dict[str, _Row]:
        path = self._jobcomp_path()
        if not path:
            return {}
        ids = "|".join(re.escape(b) for b in bases)
        pattern = f"(^| )(JobId|ArrayJobId)=({ids}) "
        done = self.transport.run(["grep", "-E", "--", pattern, path])
        found = statuses_from_records(parse_records(done.stdout))
        return {k: row for k, row in found.items() if _base(k) in bases}

    def _remember(self, rows: dict[str, _Row]) -> None:
        """Keep final states; bring a remote job's directories back as its tasks end.

        An array task ``ID_N`` whose job staged a directory per task (``STAGED_FILE``) gets
        its own directory back when it ends, before the engine reads it; the job's working
        directory (which later tasks still start in) comes back, and the copies are removed,
        once every task has ended.
        """
        for key, (status, _) in rows.items():
            if status.state.finished:
                self._final[key] = status
        if not self.spec.is_remote:
            return
        by_base: dict[str, dict[str, _Row]] = {}
        for key, row in rows.items():
            by_base.setdefault(_base(key), {})[key] = row
        for base, base_rows in by_base.items():
            if base in self._fetched:
                continue
            for key, (status, workdir) in base_rows.items():
                index = key.partition("_")[2]
                if status.state.finished and index.isdigit() and key not in self._fetched:
                    dirs = self._staged(workdir)
                    if len(dirs) > 1 and int(index) < len(dirs):
                        self._get(key, dirs[int(index)])
                        self._fetched.add(key)
            if all(s.state.finished for s, _ in base_rows.values()):
                self._fetch(base, {wd for _, wd in base_rows.values() if wd})

    def _get(self, key: str, directory: str) -> bool:
        """Bring ``directory`` back; when that fails (after the transport's retries), note it for
        ``key``'s step rather than raise: the poller serves every job, and the step must end."""
        try:
            self.transport.get(directory)
        except OSError as exc:
            self.fetch_errors.setdefault(key, str(exc))
            return False
        return True

    def _staged(self, remote_dir: str) -> list[str]:
        """The local directories a job's working directory (on the cluster) stands for."""
        local_dir = self.transport.local_path(remote_dir)
        if not local_dir:
            return []
        return [local_dir, *_lines(os.path.join(local_dir, STAGED_FILE))]

    def _fetch(self, base: str, remote_dirs: Iterable[str]) -> None:
        """Bring back each job directory and the directories it lists in ``STAGED_FILE``."""
        for remote_dir in remote_dirs:
            dirs = self._staged(remote_dir)
            if not all([self._get(base, directory) for directory in dirs]):
                continue  # the cluster's copy is all there is of the results: keep it
            if self.spec.clean:
                for directory in dirs:
                    self.transport.remove(directory)
        self._fetched.add(base)

    def _answer(self, job_ids: list[str], rows: dict[str, _Row], failure: JobStatus | None) -> dict[str, JobStatus]:
        out: dict[str, JobStatus] = {}
        for job_id in job_ids:
            if job_id in self._final:
                out[job_id] = self._final[job_id]
            elif job_id in rows:
                out[job_id] = rows[job_id][0]
            elif failure is not None:
                out[job_id] = failure
            else:
                tasks = {k: row[0] for k, row in rows.items() if _base(k) == job_id and k != job_id}
                out.update(tasks)
                out[job_id] = _aggregate(tasks) if tasks else _lost(job_id)
                if out[job_id].state.finished:
                    self._final[job_id] = out[job_id]
        return out

    # -- cancel ----------------------------------------------------------------------------

    def cancel(self, job_id: str) -> None:
        """Cancel a job, an array (``ID``) or one task (``ID_INDEX``); finished ones are fine."""
        done = self.transport.run(["scancel", job_id], retry=False)  # one try: _cancel_until_done repeats it
        message = (done.stderr or "").strip()
        if done.returncode != 0 and not any(text in message for text in _GONE):
            raise SlurmError(f"scancel {job_id} failed: {message or done.returncode}")

    def close(self) -> None:
        """Release the transport (an SSH connection); the jobs are not touched."""
        self.transport.close()


def _lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            return [line for line in handle.read().splitlines() if line]
    except FileNotFoundError:
        return []


def _lost(job_id: str) -> JobStatus:
    return JobStatus(JobState.UNKNOWN, None, f"job {job_id} is unknown to squeue and jobcomp")


def _aggregate(tasks: dict[str, JobStatus]) -> JobStatus:
    states = [s.state for s in tasks.values()]
    if any(not st.finished for st in states):
        running = JobState.RUNNING in states
        done = sum(st.finished for st in states)
        return JobStatus(
            JobState.RUNNING if running else JobState.PENDING,
            None,
            f"{done}/{len(states)} tasks finished",
        )
    bad = [(k, s) for k, s in sorted(tasks.items(), key=_task_order) if s.state is not JobState.SUCCEEDED]
    if not bad:
        return JobStatus(JobState.SUCCEEDED, 0, f"all {len(states)} tasks succeeded")
    key, first = bad[0]
    return JobStatus(
        first.state,
        first.exit_code,
        f"{len(bad)} of {len(states)} tasks failed; {key}: {first.reason}",
    )


def _task_order(item: tuple[str, JobStatus]) -> int:
    index = item[0].rpartition("_")[2]
    return int(index) if index.isdigit() else -1
