"""``dflow-like``: a face on the public API (it imports nothing private)."""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from typing import Any

import dflow_like
from dflow_like import StepRecord, Workflow
from dflow_like._run_summary import list_runs
from dflow_like.cli.logfile import copy_log

__all__ = ["main"]


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}s"


def _ran(rec: StepRecord) -> str:
    """Its running time: ``duration`` once ended, else the time since it started."""
    if rec.end_time is not None:
        return _seconds(rec.duration)
    if rec.phase != "Running":  # not started, or left unfinished by a dead engine: no clock to show
        return ""
    begin = rec.run_start_time if rec.run_start_time is not None else rec.start_time
    return "" if begin is None else _seconds(time.time() - begin)


SHOWN_CHILDREN = 20  # more children than this (a fan-out's items) are summarised unless --all


def _line(rec: StepRecord, depth: int) -> str:
    key = f"  key={rec.key}" if rec.key else ""
    shown = rec.phase != "Succeeded" or rec.message.startswith("cached from")  # where a result came from
    note = f"  {rec.message}" if rec.message and shown else ""
    name = f"{'  ' * depth}{rec.name:<{max(40 - 2 * depth, 10)}}"
    return f"{name} {rec.phase:<10} {_seconds(rec.queued):>9} {_ran(rec):>9}{key}{note}"


def _phase_counts(records: list[StepRecord]) -> str:
    counts: dict[str, int] = {}
    for rec in records:
        counts[rec.phase] = counts.get(rec.phase, 0) + 1
    return ", ".join(f"{n} {phase}" for phase, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def _tree_lines(
    records: list[StepRecord], everything: bool = True, order: Mapping[str, tuple[int, int]] | None = None
) -> list[str]:
    """The steps as an indented tree, each container's children in workflow order (``order``,
    ``view/order.py``: a step a retry ran again stays in its place); without ``everything``, a
    node with many children (a 100k-item fan-out) shows their counts per phase and only those
    not Succeeded/Skipped."""
    from dflow_like.view.order import sort_siblings

    children: dict[str | None, list[StepRecord]] = {}
    for rec in records:
        children.setdefault(rec.parent_id, []).append(rec)
    by_id = {rec.id: rec for rec in records}
    for parent_id, kids in children.items():
        children[parent_id] = sort_siblings(kids, by_id.get(parent_id or ""), order or {})
    lines = [f"{'STEP':<40} {'PHASE':<10} {'QUEUED':>9} {'RAN':>9}"]
    stack: list[tuple[StepRecord | str, int]] = [(top, 0) for top in reversed(children.get(None, []))]
    while stack:  # depth first, without recursion: a deeply nested run is no recursion limit
        item, depth = stack.pop()
        if isinstance(item, str):
            lines.append(item)
            continue
        rec = item
        lines.append(_line(rec, depth))
        kids = children.get(rec.id, [])
        if not everything and len(kids) > SHOWN_CHILDREN:
            shown = [k for k in kids if k.phase not in ("Succeeded", "Skipped")]
            more = len(shown) - SHOWN_CHILDREN
            tail = [f"{'  ' * (depth + 1)}... {more} more not Succeeded (--all lists every step)"] if more > 0 else []
            head = f"{'  ' * (depth + 1)}[{len(kids)} steps: {_phase_counts(kids)}]"
            stack += [(t, 0) for t in tail]
            stack += [(k, depth + 1) for k in reversed(shown[:SHOWN_CHILDREN])]
            stack.append((head, 0))
        else:
            stack += [(k, depth + 1) for k in reversed(kids)]
    return lines


def cmd_run(args: argparse.Namespace) -> int:
    before = set(dflow_like.list_workflows())
    sys.argv = [args.file, *args.args]
    # as ``python FILE`` does: the script's folder first, so modules beside it import
    script = os.path.abspath(args.file)
    sys.path.insert(0, os.path.dirname(script))
    try:
        runpy.run_path(script, run_name="__main__")  # absolute, as __file__ under python
    except Exception as exc:  # as ``python FILE`` shows it: from the script's frame, not ours and runpy's
        _print_from(exc, script)
        return 1
    started = [i for i in dflow_like.list_workflows() if i not in before]
    worst = 0
    for wf_id in started:
        wf = Workflow(id=wf_id)
        phase = wf.wait()
        failed = len(wf.query_step(type="Pod", phase=["Failed", "Error"])) if phase == "Succeeded" else 0
        print(f"{wf_id}: {phase}{f' ({failed} failed step(s) tolerated)' if failed else ''}")
        worst = worst or (0 if phase == "Succeeded" else 1)
    return worst


def _print_from(exc: BaseException, script: str) -> None:
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != script:
        tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb or exc.__traceback__)


def cmd_list(args: argparse.Namespace) -> int:
    runs = list_runs()  # summaries: no run's steps are read (a 100k-item run costs what a small one does)
    if not runs:
        print("no workflow runs yet", file=sys.stderr)
        return 0
    print(f"{'ID':<32} {'PHASE':<10} {'STARTED':<20} {'STEPS':>5}")
    for run in sorted(runs, key=lambda r: -(r.started or 0.0)):  # newest first, as the dashboard lists them
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.started)) if run.started else ""
        count = run.steps
        print(f"{run.id:<32} {run.phase:<10} {when:<20} {count:>5} step{'' if count == 1 else 's'}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    wf = Workflow(id=args.id)
    phase = wf.query_status()
    message = wf.query_message()
    print(f"{args.id}: {phase}{'  ' + message if message else ''}")
    records = wf.query_step()
    from dflow_like.view.order import planned_order

    print("\n".join(_tree_lines(records, everything=args.all, order=planned_order(wf))))
    if len(records) > SHOWN_CHILDREN:
        print(f"{len(records)} steps: {_phase_counts(records)}")
    return 0 if phase in ("Succeeded", "Running", "Pending") else 1


def cmd_logs(args: argparse.Namespace) -> int:
    wf = Workflow(id=args.id)
    steps = [s for s in wf.query_step(name=args.step) if s.log_path]
    phase = wf.query_status()
    if phase in ("Failed", "Error") and not args.step:  # a run can fail before, or besides, its steps
        print(f"===== {args.id} ({phase})")
        print(wf.query_message() or "(no message)")
    if not steps:
        print(
            f"no step with a log matches {args.step!r}" if args.step else "no step has a log yet",
            file=sys.stderr,
        )
        return 1
    for rec in steps:
        print(f"===== {rec.name} ({rec.phase}) {rec.log_path}", flush=True)
        for earlier in _earlier_logs(str(rec.log_path)):
            print(f"      earlier attempt: {earlier}")
        try:
            copy_log(str(rec.log_path), sys.stdout.buffer, args.tail)  # streamed: constant memory
        except FileNotFoundError:
            print("(no output yet)")
        sys.stdout.buffer.flush()
    return 0


def _earlier_logs(log_path: str) -> list[str]:
    """Logs of a local step's earlier attempts (``steps/<id>/<n>/log.txt`` beside this one):
    a killed or retried attempt's output stays where it was written."""
    attempt = os.path.dirname(log_path)
    if not os.path.basename(attempt).isdigit():
        return []
    parent = os.path.dirname(attempt)
    numbers = sorted(int(n) for n in os.listdir(parent) if n.isdigit() and n != os.path.basename(attempt))
    logs = [os.path.join(parent, str(n), "log.txt") for n in numbers]
    return [log for log in logs if os.path.exists(log)]


def cmd_download(args: argparse.Namespace) -> int:
    if args.step is None:
        return _download_all(args)
    steps = Workflow(id=args.id).query_step(name=args.step)
    steps = [s for s in steps if s.name == args.step] or steps
    if not steps:
        print(f"workflow {args.id}: no step named {args.step!r}", file=sys.stderr)
        return 1
    artifacts = steps[0].outputs.artifacts
    if not artifacts and not args.artifact:
        kept = ", ".join(steps[0].outputs.parameters) or "none"
        print(f"step {args.step!r} has no output artifacts (its output parameters: {kept})", file=sys.stderr)
        return 0
    names = [args.artifact] if args.artifact else list(artifacts)
    for name in names:
        if name not in artifacts:
            print(
                f"step {args.step!r} has no output artifact {name!r} (it has: {', '.join(artifacts) or 'none'})",
                file=sys.stderr,
            )
            return 1
        for path in dflow_like.download_artifact(artifacts[name], path=args.path):
            print(path)
    return 0


def _download_all(args: argparse.Namespace) -> int:
    """Every step's output artifacts, each step's under ``DIR/<step>/`` (a fan-out's items
    gathered in their step's folder, as ``download ID STEP`` places them)."""
    records = Workflow(id=args.id).query_step()
    groups = {r.id for r in records if r.type == "StepGroup"}
    seen: dict[str, int] = {}
    wrote = 0
    for rec in records:
        if rec.type not in ("Pod", "StepGroup") or rec.parent_id in groups or not rec.outputs.artifacts:
            continue
        seen[rec.name] = seen.get(rec.name, 0) + 1  # the same name in two containers: name, name-2
        folder = os.path.join(args.path, rec.name if seen[rec.name] == 1 else f"{rec.name}-{seen[rec.name]}")
        for name, ref in rec.outputs.artifacts.items():
            if args.artifact and name != args.artifact:
                continue
            for path in dflow_like.download_artifact(ref, path=folder):
                print(path)
                wrote += 1
    if not wrote:
        print(f"workflow {args.id}: no step has output artifacts to download", file=sys.stderr)
    return 0


def _print_phase(wf: Workflow, phase: str) -> None:
    """``ID: PHASE``, and why when the run did not succeed."""
    message = wf.query_message() if phase in ("Failed", "Error") else ""
    print(f"{wf.id}: {phase}{'  ' + message if message else ''}")


def cmd_resume(args: argparse.Namespace) -> int:
    wf = Workflow(id=args.id)
    wf.resume()
    phase = wf.wait() if args.wait else wf.query_status()
    _print_phase(wf, phase)
    return 0 if phase in ("Succeeded", "Running", "Pending") else 1


def cmd_terminate(args: argparse.Namespace) -> int:
    wf = Workflow(id=args.id)
    wf.terminate()
    _print_phase(wf, wf.wait(timeout=args.timeout))
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    Workflow(id=args.id).delete()
    print(f"{args.id}: deleted")
    return 0


def cmd_wait(args: argparse.Namespace) -> int:
    wf = Workflow(id=args.id)
    phase = wf.wait(timeout=args.timeout)
    _print_phase(wf, phase)
    return 0 if phase == "Succeeded" else 1


def cmd_watch(args: argparse.Namespace) -> int:
    from dflow_like.view.terminal import wait_with_progress

    phase = wait_with_progress(Workflow(id=args.id), timeout=args.timeout)
    print(f"{args.id}: {phase}")
    return 0 if phase == "Succeeded" else 1


def cmd_ui(args: argparse.Namespace) -> int:
    try:
        from dflow_like.ui.server import PortInUse, serve
    except ImportError as exc:
        print(
            f"dflow-like ui needs the [ui] extra (pip install '.[ui]' in a clone, else 'dflow-like[ui]'): {exc}",
            file=sys.stderr,
        )
        return 1
    port, retries = (UI_PORT, UI_PORT_RETRIES) if args.port is None else (args.port, 0)  # a port asked for is kept
    try:
        return serve(host=args.host, port=port, token=args.token, retries=retries)
    except PortInUse as exc:
        print(f"dflow-like ui: {exc.strerror}", file=sys.stderr)
        return 1


UI_PORT = 8765
UI_PORT_RETRIES = 50  # as Jupyter's port_retries: a second dashboard takes the next free port


def cmd_retry(args: argparse.Namespace) -> int:
    wf = Workflow(id=args.id)
    wf.retry(args.step)
    phase = wf.wait() if args.wait else wf.query_status()
    _print_phase(wf, phase)
    return 0 if phase in ("Succeeded", "Running", "Pending") else 1


def cmd_cache(args: argparse.Namespace) -> int:
    from dflow_like.cache import clear, open_index

    index = open_index("s3" if args.s3 else "local")
    if args.action == "clear":
        count = clear(index, expired_only=args.expired)
        print(f"removed {count} cache entr{'y' if count == 1 else 'ies'} from {index.where}")
        return 0
    entries = index.entries()
    if not entries:
        print(f"no cache entries in {index.where}", file=sys.stderr)
        return 0
    print(f"{'KEY':<14} {'CREATED':<20} FROM")
    for entry in entries:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.created))
        print(f"{entry.key[:12]:<14} {when:<20} {entry.workflow_id}/{entry.step_name}")
    return 0


def cmd_debug(args: argparse.Namespace) -> int:
    from dflow_like._debug import debug_step

    return debug_step(args.id, args.step, args.dir)


def _subcommand(sub: Any, name: str, summary: str, details: str = "") -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` starts with the summary ``dflow-like --help`` lists."""
    description = f"{summary[0].upper()}{summary[1:]}.{' ' + details if details else ''}"
    parser: argparse.ArgumentParser = sub.add_parser(name, help=summary, description=description)
    return parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dflow-like",
        description="Run and inspect dflow_like workflows (local runs live under $DFLOW_LIKE_HOME, "
        "default ~/.dflow_like). 'dflow-like COMMAND --help' describes a command.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = _subcommand(
        sub, "run", "run a workflow script and wait for the workflows it submits",
        "The script runs as with 'python FILE' (its folder first on sys.path, so modules beside it "
        "import). Prints 'ID: PHASE' per workflow; exits 1 if any did not succeed.",
    )  # fmt: skip
    run.add_argument("file", metavar="FILE", help="the Python script that builds and submits workflows")
    run.add_argument("args", nargs=argparse.REMAINDER, metavar="ARG", help="arguments passed to the script (sys.argv)")
    run.set_defaults(func=cmd_run)
    listing = _subcommand(sub, "list", "list workflow runs", "One line per run: id, phase, start time, steps.")
    listing.set_defaults(func=cmd_list)
    status = _subcommand(
        sub, "status", "a tree of a run's steps with phases and times",
        "Steps are listed in workflow order. QUEUED is the time a step waited for a worker, a parallelism slot "
        "or Slurm; RAN the time it ran (a container, and the run: from its first start, also after a retry). "
        "Exits 1 if the run failed.",
    )  # fmt: skip
    status.add_argument("id", metavar="ID", help="the run's id, as printed by submit() or 'dflow-like list'")
    status.add_argument("--all", action="store_true", help="list every step, also each item of a large fan-out")
    status.set_defaults(func=cmd_status)
    logs = _subcommand(
        sub, "logs", "print step logs (their output and tracebacks)",
        "For a failed run, its message (why it failed) comes first.",
    )  # fmt: skip
    logs.add_argument("id", metavar="ID", help="the run's id")
    logs.add_argument("step", nargs="?", metavar="STEP", help="only this step (and its slice items); default: all")
    logs.add_argument("--tail", type=int, metavar="N", help="only the last N lines of each log")
    logs.set_defaults(func=cmd_logs)
    download = _subcommand(
        sub, "download", "download a step's output artifacts, or every step's",
        "Prints each file it wrote. Without STEP, each step's go under DIR/STEP/.",
    )  # fmt: skip
    download.add_argument("id", metavar="ID", help="the run's id")
    download.add_argument("step", nargs="?", metavar="STEP", help="the step's name; default: every step")
    download.add_argument("--artifact", metavar="NAME", help="only this output artifact; default: all of them")
    download.add_argument("--path", default=".", metavar="DIR", help="where to put the files (default: .)")
    download.set_defaults(func=cmd_download)
    resume = _subcommand(
        sub, "resume", "finish a run whose engine died, or re-run a failed run's failed steps",
        "Succeeded steps are kept; the others run again.",
    )  # fmt: skip
    resume.add_argument("id", metavar="ID", help="the run's id")
    resume.add_argument("--no-wait", dest="wait", action="store_false", help="return at once instead of waiting")
    resume.set_defaults(func=cmd_resume)
    terminate = _subcommand(
        sub, "terminate", "stop a run and kill its running steps",
        "Waits until the run has stopped (its steps read Failed: terminated); 'dflow-like retry ID' "
        "runs them again.",
    )  # fmt: skip
    terminate.add_argument("id", metavar="ID", help="the run's id")
    terminate.add_argument("--timeout", type=float, default=60.0, metavar="S", help="how long to wait (default 60)")
    terminate.set_defaults(func=cmd_terminate)
    delete = _subcommand(sub, "delete", "delete a finished run", "Its state, logs and local artifacts go.")
    delete.add_argument("id", metavar="ID", help="the run's id")
    delete.set_defaults(func=cmd_delete)
    wait = _subcommand(sub, "wait", "wait for a run to end", "Prints 'ID: PHASE'; exits 1 unless it succeeded.")
    wait.add_argument("id", metavar="ID", help="the run's id")
    wait.add_argument("--timeout", type=float, default=None, metavar="S", help="give up after S seconds")
    wait.set_defaults(func=cmd_wait)
    watch = sub.add_parser("watch", help="show a run's progress live until it ends")
    watch.add_argument("id")
    watch.add_argument("--timeout", type=float, default=None)
    watch.set_defaults(func=cmd_watch)
    ui = sub.add_parser("ui", help="a local web dashboard of runs (needs the [ui] extra)")
    ui.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    ui.add_argument(
        "--port", type=int, default=None, help="port (default: 8765, or the next free one; 0: any free port)"
    )
    ui.add_argument("--token", default=None, help="the access token (default: a new random one)")
    ui.set_defaults(func=cmd_ui)
    retry = _subcommand(
        sub, "retry", "re-run a finished run's failed and errored steps, or one step and what depends on it",
        "Succeeded steps are kept, except STEP (run again even if it succeeded) and the steps whose "
        "inputs its new outputs change.",
    )  # fmt: skip
    retry.add_argument("id", metavar="ID", help="the run's id")
    retry.add_argument("step", nargs="?", metavar="STEP", help="run this step again (and its slice items)")
    retry.add_argument("--no-wait", dest="wait", action="store_false", help="return at once instead of waiting")
    retry.set_defaults(func=cmd_retry)
    cache = _subcommand(
        sub, "cache", "list or clear the step cache (cache=True)",
        "Entries of local runs live in $DFLOW_LIKE_HOME/cache; with --s3, those in the artifact store. "
        "Entries older than config['cache_max_age'] are not reused; 'clear --expired' removes only those.",
    )  # fmt: skip
    cache.add_argument("action", choices=["list", "clear"], help="list the entries, or remove them")
    cache.add_argument("--s3", action="store_true", help="the cache in the S3 artifact store (s3_config)")
    cache.add_argument("--expired", action="store_true", help="clear: only entries past config['cache_max_age']")
    cache.set_defaults(func=cmd_cache)
    debug = _subcommand(
        sub, "debug", "run one step of a finished run again in this process, with the inputs it received",
        "Its working directory is rebuilt in DIR (parameters and downloaded artifacts) and its OP runs "
        "here, so breakpoint() and debuggers work. Prints the command that does it again.",
    )  # fmt: skip
    debug.add_argument("id", metavar="ID", help="the run's id")
    debug.add_argument("step", metavar="STEP", help="the step's name (a slice item as 'name(0:item)')")
    debug.add_argument("--dir", default=None, metavar="DIR", help="where to rebuild it (default: ./debug-STEP)")
    debug.set_defaults(func=cmd_debug)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (KeyError, RuntimeError, FileNotFoundError, TimeoutError) as exc:
        # str(KeyError) is the repr of its message, quotes and all: print the message itself
        text = exc.args[0] if isinstance(exc, KeyError) and len(exc.args) == 1 else exc
        print(f"dflow-like: {text}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `dflow-like list | head`
        sys.stderr.close()
        return 0
