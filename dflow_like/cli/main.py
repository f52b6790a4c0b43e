"""``dflow-like``: a face on the public API (it imports nothing private)."""

from __future__ import annotations

import argparse
import runpy
import sys
import time
from collections.abc import Sequence

import dflow_like
from dflow_like import StepRecord, Workflow

__all__ = ["main"]


def _duration(rec: StepRecord) -> str:
    if rec.start_time is None:
        return ""
    end = rec.end_time if rec.end_time is not None else time.time()
    return f"{end - rec.start_time:.2f}s"


SHOWN_CHILDREN = 20  # more children than this (a fan-out's items) are summarised unless --all


def _line(rec: StepRecord, depth: int) -> str:
    key = f"  key={rec.key}" if rec.key else ""
    note = f"  {rec.message}" if rec.message and rec.phase not in ("Succeeded",) else ""
    return f"{'  ' * depth}{rec.name:<{max(40 - 2 * depth, 10)}} {rec.phase:<10} {_duration(rec):>9}{key}{note}"


def _phase_counts(records: list[StepRecord]) -> str:
    counts: dict[str, int] = {}
    for rec in records:
        counts[rec.phase] = counts.get(rec.phase, 0) + 1
    return ", ".join(f"{n} {phase}" for phase, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def _tree_lines(records: list[StepRecord], everything: bool = True) -> list[str]:
    """The steps as an indented tree; without ``everything``, a node with many children
    (a 100k-item fan-out) shows their counts per phase and only those not Succeeded/Skipped."""
    children: dict[str | None, list[StepRecord]] = {}
    for rec in records:
        children.setdefault(rec.parent_id, []).append(rec)
    lines: list[str] = []
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
    runpy.run_path(args.file, run_name="__main__")
    started = [i for i in dflow_like.list_workflows() if i not in before]
    worst = 0
    for wf_id in started:
        phase = Workflow(id=wf_id).wait()
        print(f"{wf_id}: {phase}")
        worst = worst or (0 if phase == "Succeeded" else 1)
    return worst


def cmd_list(args: argparse.Namespace) -> int:
    for wf_id in dflow_like.list_workflows():
        wf = Workflow(id=wf_id)
        steps = wf.query_step()
        root = next((s for s in steps if s.parent_id is None), None)
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(root.start_time)) if root and root.start_time else ""
        print(f"{wf_id:<32} {wf.query_status():<10} {when:<20} {len(steps) - 1:>5} steps")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    wf = Workflow(id=args.id)
    phase = wf.query_status()
    message = wf.query_message()
    print(f"{args.id}: {phase}{'  ' + message if message else ''}")
    records = wf.query_step()
    print("\n".join(_tree_lines(records, everything=args.all)))
    if len(records) > SHOWN_CHILDREN:
        print(f"{len(records)} steps: {_phase_counts(records)}")
    return 0 if phase in ("Succeeded", "Running", "Pending") else 1


def cmd_logs(args: argparse.Namespace) -> int:
    steps = [s for s in Workflow(id=args.id).query_step(name=args.step) if s.log_path]
    if not steps:
        print(
            f"no step with a log matches {args.step!r}" if args.step else "no step has a log yet",
            file=sys.stderr,
        )
        return 1
    for rec in steps:
        print(f"===== {rec.name} ({rec.phase}) {rec.log_path}")
        try:
            with open(str(rec.log_path), encoding="utf-8", errors="replace") as fh:
                sys.stdout.write(fh.read())
        except FileNotFoundError:
            print("(no output yet)")
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    steps = Workflow(id=args.id).query_step(name=args.step)
    steps = [s for s in steps if s.name == args.step] or steps
    if not steps:
        print(f"workflow {args.id}: no step named {args.step!r}", file=sys.stderr)
        return 1
    artifacts = steps[0].outputs.artifacts
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


def cmd_resume(args: argparse.Namespace) -> int:
    wf = Workflow(id=args.id)
    wf.resume()
    phase = wf.wait() if args.wait else wf.query_status()
    print(f"{args.id}: {phase}")
    return 0 if phase in ("Succeeded", "Running", "Pending") else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dflow-like", description="Run and inspect dflow_like workflows.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a workflow script and wait for the workflows it submits")
    run.add_argument("file")
    run.add_argument("args", nargs=argparse.REMAINDER)
    run.set_defaults(func=cmd_run)
    sub.add_parser("list", help="list workflow runs").set_defaults(func=cmd_list)
    status = sub.add_parser("status", help="a tree of a run's steps with phases and durations")
    status.add_argument("id")
    status.add_argument("--all", action="store_true", help="list every step, also each item of a large fan-out")
    status.set_defaults(func=cmd_status)
    logs = sub.add_parser("logs", help="print step logs")
    logs.add_argument("id")
    logs.add_argument("step", nargs="?")
    logs.set_defaults(func=cmd_logs)
    download = sub.add_parser("download", help="download a step's output artifacts")
    download.add_argument("id")
    download.add_argument("step")
    download.add_argument("--artifact")
    download.add_argument("--path", default=".")
    download.set_defaults(func=cmd_download)
    resume = sub.add_parser("resume", help="finish a run whose engine died")
    resume.add_argument("id")
    resume.add_argument("--no-wait", dest="wait", action="store_false")
    resume.set_defaults(func=cmd_resume)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (KeyError, RuntimeError, FileNotFoundError) as exc:
        print(f"dflow-like: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `dflow-like list | head`
        sys.stderr.close()
        return 0
