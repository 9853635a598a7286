"""The ``parity`` command line.

  parity check [--only PATTERN] [--dtype float64|float32] [--seed N] [--json F] [--junit F]
  parity list [--markdown]          the registry: components, samples, conventions
  parity bench [--quick]            NumPy/torch time ratios (forward+backward, interleaved, medians)
  parity optim-paths [--out F]      the classic optimizer-path picture, NumPy and torch overlaid

Exit status: 0 when every check passes, 1 when any fails, 2 on a usage error.
"""
import argparse
import os
import sys
import time

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")   # before NumPy: see CONVENTIONS.md


def _check(args):
    from .registry import select
    from .runner import run
    entries = select(args.only)
    if not entries:
        print(f"parity check: no component matches {args.only!r} (see 'parity list')", file=sys.stderr)
        return 2
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
    if args.json:
        report.to_json(args.json)
        print(f"wrote {args.json}")
    if args.junit:
        report.to_junit(args.junit)
        print(f"wrote {args.junit}")
    return 0 if report.passed else 1


def _list(args):
    from .registry import all_entries
    if args.markdown:
        print(markdown_table(all_entries()))
        return 0
    for e in all_entries():
        kind = getattr(e, "kind", "optimizer")
        what = f"{len(e.samples)} samples" if hasattr(e, "samples") else f"{e.steps} steps"
        print(f"{e.name:<34} {kind:<9} {what:<11} {e.doc}")
    return 0


def markdown_table(entries):
    lines = ["| component | kind | samples | notes |", "|---|---|---|---|"]
    for e in entries:
        if hasattr(e, "samples"):
            lines.append(f"| {e.name} | {e.kind} | {', '.join(s.name for s in e.samples)} | {e.doc} |")
        else:
            extra = ", ".join(x for x in ("two parameter groups" if e.groups else "",
                                          "with a schedule" if e.schedule else "") if x)
            lines.append(f"| {e.name} | optimizer | {e.steps} steps, params and state every step"
                         f"{', ' + extra if extra else ''} | {e.doc} |")
    return "\n".join(lines)


def _bench(args):
    from .bench import main
    return main(quick=args.quick, repeat=args.repeat)


def _optim_paths(args):
    from .optim_paths import main
    return main(args.out, steps=args.steps)


def build_parser():
    p = argparse.ArgumentParser(prog="parity", description="PyTorch parity checks for the NumPy library")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="run the parity gate over the registry")
    c.add_argument("--only", help="comma-separated component patterns (substring or glob, case-insensitive)")
    c.add_argument("--dtype", choices=["float64", "float32"], help="one dtype only (default both)")
    c.add_argument("--seed", type=int, default=0, help="base seed for drawn shapes and data (default 0)")
    c.add_argument("--json", metavar="FILE", help="write every check as JSON")
    c.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    c.add_argument("-q", "--quiet", action="store_true", help="print only the summary line and failures")
    c.set_defaults(func=_check)
    ls = sub.add_parser("list", help="list the registry")
    ls.add_argument("--markdown", action="store_true")
    ls.set_defaults(func=_list)
    b = sub.add_parser("bench", help="NumPy/torch speed ratios")
    b.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    b.add_argument("--repeat", type=int, default=7)
    b.set_defaults(func=_bench)
    o = sub.add_parser("optim-paths", help="optimizer paths on x^2/20 + y^2, NumPy vs torch, as PNG")
    o.add_argument("--out", default="optim_paths.png")
    o.add_argument("--steps", type=int, default=30)
    o.set_defaults(func=_optim_paths)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
