"""dflow's own test programs on dflow_like, imports renamed: a table of program, result, seconds.

The same harness as ``tests/compat/test_dflow_programs.py`` (shared through
``tests/compat/dflow_programs.py``), as a script whose output can go straight into a note.

Run: python bench/dflow_compat.py [PROGRAM ...] [--workers K] [--cache DIR] [--keep]
Exit status: 0 if every program passed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.compat

from tests.compat import dflow_programs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("programs", nargs="*", help=f"default: all ten ({', '.join(dflow_programs.PROGRAMS)})")
    parser.add_argument("--workers", type=int, default=4, help="programs run at once (default 4)")
    parser.add_argument("--cache", type=Path, default=dflow_programs.default_cache_dir(), help="sdist cache dir")
    parser.add_argument("--keep", action="store_true", help="keep the working directories and print where")
    args = parser.parse_args()
    unknown = [p for p in args.programs if p not in dflow_programs.PROGRAMS]
    if unknown:
        parser.error(f"unknown program(s) {', '.join(unknown)}; choose from {', '.join(dflow_programs.PROGRAMS)}")

    root = Path(tempfile.mkdtemp(prefix="dflow-compat-"))
    try:
        sdist = dflow_programs.fetch_sdist(args.cache)
        scripts = dflow_programs.extract_programs(sdist, root / "src", args.programs or dflow_programs.PROGRAMS)
    except dflow_programs.FetchError as exc:
        print(f"cannot fetch dflow's test programs: {exc}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    results = dflow_programs.run_programs(scripts, root / "run", workers=args.workers)
    total = time.perf_counter() - t0

    print(f"dflow {dflow_programs.PYDFLOW_VERSION} tests/ programs on dflow_like (imports renamed only)")
    print(f"| {'program':<22} | {'result':<14} | {'seconds':>7} |")
    print(f"| {'-' * 22} | {'-' * 14} | {'-' * 7}:|")
    for result in results.values():
        print(f"| {result.name:<22} | {result.verdict:<14} | {result.seconds:>7.2f} |")
    passed = sum(r.ok for r in results.values())
    print(f"{passed}/{len(results)} passed; {total:.1f} s wall with {args.workers} at once")
    for result in results.values():
        if not result.ok:
            print(f"\n===== {result.name}: {result.verdict}\n{result.output[-4000:]}", file=sys.stderr)
    if args.keep:
        print(f"working directories kept under {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
