"""Run registry entries through the public API, and the ``parity check`` and ``parity list``
commands. The CLI and the pytest suite both run ``Case`` objects."""
import time

from ..options import UsageError, count, distinct_files, output_path
from .registry import ENTRIES, cases, select
from .report import Report


def run_case(case):
    return case.run()


def run(only=None, dtypes=("float64", "float32"), seed=0, entries=None):
    """Every case of the selected entries (``only``: name patterns, or ``entries``) in one ``Report``."""
    report = Report()
    for case in cases(select(only) if entries is None else entries, dtypes, seed):
        report.extend(case.run())
    return report


def markdown_table(entries):
    lines = ["| component | kind | samples | notes |", "|---|---|---|---|"]
    for e in entries:
        r = e.docs_row()
        lines.append(f"| {r['component']} | {r['kind']} | {r['what']} | {r['doc']} |")
    return "\n".join(lines)


def shard(entries, spec):
    """Shard ``"i/n"`` (1 <= i <= n) of ``entries``: every n-th entry from the i-th, in registry order,
    so n machines running shards 1/n .. n/n cover each entry exactly once."""
    try:
        i, n = (int(v) for v in spec.split("/"))
    except ValueError:
        raise UsageError(f"--shard expects I/N such as 2/4, got {spec!r}") from None
    if not 1 <= i <= n:
        raise UsageError(f"--shard {spec}: need 1 <= I <= N")
    return entries[i - 1::n]


def check_command(args):
    output_path(args.json, "--json")
    output_path(args.junit, "--junit")
    distinct_files(("--json", args.json), ("--junit", args.junit))
    if args.only is not None and not args.only.strip(", "):
        raise UsageError(f"--only: expected comma-separated component patterns, got {args.only!r}")
    entries = select(args.only)
    if not entries:
        raise UsageError(f"no component matches {args.only!r} (see 'parity list')")
    unmatched = [p for p in (args.only or "").split(",") if p.strip() and not select(p)]
    if unmatched:                                   # a typo in a CI job's list must not drop its components
        raise UsageError(f"--only: {unmatched} match no component (see 'parity list')")
    if args.shard:
        entries = shard(entries, args.shard)
    t0 = time.perf_counter()
    dtypes = (args.dtype,) if args.dtype else ("float64", "float32")
    report = run(entries=entries, dtypes=dtypes, seed=args.seed)
    if args.quiet:
        print(report.table().splitlines()[-1])
        for r in report.failures:
            print("  " + r.message())
    else:
        print(report)
    print(f"{len(entries)} components, {len(report.results)} checks in {time.perf_counter() - t0:.1f} s")
    for path, write in ((args.json, report.to_json), (args.junit, report.to_junit)):
        if path:
            write(path)
            print(f"wrote {path}")
    return 0 if report.passed else 1


def list_command(args):
    if args.markdown:
        print(markdown_table(ENTRIES))
        return 0
    for e in ENTRIES:
        r = e.docs_row()
        print(f"{r['component']:<34} {r['kind']:<9} {r['count']:<11} {r['doc']}")
    return 0


def add_commands(sub):
    c = sub.add_parser("check", help="run the parity gate over the registry")
    c.add_argument("--only", help="comma-separated component patterns (substring or glob, case-insensitive)")
    c.add_argument("--dtype", choices=["float64", "float32"], help="one dtype only (default both)")
    c.add_argument("--seed", type=count(0), default=0, help="base seed for drawn shapes and data (default 0)")
    c.add_argument("--json", metavar="FILE", help="write every check as JSON")
    c.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    c.add_argument("--shard", metavar="I/N", help="run only shard I of N (entries dealt round robin; for CI)")
    c.add_argument("-q", "--quiet", action="store_true", help="print only the summary line and failures")
    c.set_defaults(func=check_command)
    ls = sub.add_parser("list", help="list the registry")
    ls.add_argument("--markdown", action="store_true", help="the table of docs/COMPONENTS.md")
    ls.set_defaults(func=list_command)
