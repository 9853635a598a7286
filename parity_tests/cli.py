"""The ``parity`` command line. Each subcommand's parser lives beside its code; this file only
assembles them and turns outcomes into exit statuses.

  parity check [--only PATTERN] [--dtype float64|float32] [--seed N] [--json F] [--junit F]
  parity list [--markdown]          the registry: components, samples, conventions
  parity bench [--quick]            NumPy/torch time ratios (forward+backward, interleaved, medians)
  parity diagnose MODEL|--factory   the first layer where NumPy and torch part ways, on one batch
  parity scan PATH...               find the layers, losses and update rules in your code; check each
  parity train MODEL [--lockstep]   train on a dataset; with --lockstep the torch mirror beside it
  parity search MODEL               hyperparameter search (grid or random), table and scatter plot
  parity experiment NAME            the classic experiments (optimizers, init, batchnorm, overfit,
                                    ensemble, weights) as PNG and JSON
  parity optim-paths [--out F]      the classic optimizer-path picture, NumPy and torch overlaid
  parity char-lm [--steps N]        a character LSTM trained in lockstep with its torch mirror
  parity mutants [--only NAME]      inject each bug of the mutant table; exit 1 if the gate misses one

Exit status: 0 everything passed; 1 a parity failure or divergence (for train: a NaN stop, or
float64 lockstep drift above 1e-8; for diagnose: a diverging layer; for mutants: a surviving
mutant); 2 a usage or input error (a bad option, a missing file or dataset, a factory that raises);
3 an internal error. Errors are one line on stderr; ``--debug`` adds the traceback.
"""
import argparse
import os
import sys
import threading
import traceback

from .gate import bench, diagnose, mutants, runner, scan
from .lab import char_lm, experiments, optim_paths, search, train
from .options import UsageError

EXIT_USAGE, EXIT_INTERNAL = 2, 3
GATE = (runner.add_commands, bench.add_command, diagnose.add_command, scan.add_command, mutants.add_command)
LAB = (train.add_command, search.add_command, experiments.add_command, optim_paths.add_command,
       char_lm.add_command)


EXIT_HELP = ("exit status, for every subcommand: 0 passed, 1 parity failure or divergence (a failed check, a "
             "diverging layer, drift over the limit, a NaN stop, a surviving mutant), 2 usage or input error, 3 "
             "internal error, 130 interrupted (Ctrl-C); errors are one line on stderr, 'parity --debug ...' adds the "
             "traceback")


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (exit status 2) instead of the usage block."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")


def build_parser():
    p = Parser(prog="parity", description="PyTorch parity checks for the NumPy library",
                                epilog=EXIT_HELP)
    p.add_argument("--debug", action="store_true", help="print the traceback of an error")
    sub = p.add_subparsers(dest="cmd", required=True)
    for add in GATE + LAB:
        add(sub)
    for command in sub.choices.values():
        command.epilog = command.epilog or EXIT_HELP
    return p


def _check_environment():
    """Settings read from the environment are checked before any work (one exit-2 line, not an error
    in every check)."""
    from numpy_impl import parallel
    try:
        parallel.threads()
    except ValueError as e:
        raise UsageError(str(e)) from None


def _ended(status, before, cmd):
    """``status``, or, where the code a command ran (a scanned file, a factory) left threads running
    that would keep the process alive for ever, the process ended now with it, one line saying so."""
    left = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    if left:
        names = ", ".join(t.name for t in left[:3]) + (", ..." if len(left) > 3 else "")
        print(f"parity {cmd}: the code it ran left {len(left)} thread(s) running ({names}); ended without waiting "
              "for them", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    return status


def main(argv=None):
    args = build_parser().parse_args(argv)
    before = set(threading.enumerate())
    try:
        _check_environment()
        return _ended(args.func(args), before, args.cmd)
    except UsageError as e:
        if args.debug:
            traceback.print_exc()
        print(f"parity {args.cmd}: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:          # `parity ... | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:             # the machine refused a file (disk full, a device, permissions): not our bug
        if args.debug:
            traceback.print_exc()
        print(f"parity {args.cmd}: {e.strerror or e}" + (f": {e.filename}" if e.filename else ""), file=sys.stderr)
        return EXIT_USAGE
    except MemoryError as e:         # sizes the machine cannot hold (--hidden 10000000,...): the input's fault
        if args.debug:
            traceback.print_exc()
        print(f"parity {args.cmd}: out of memory: the sizes asked for do not fit in this machine's memory"
              f"{' (' + str(e) + ')' if str(e) else ''}; use smaller sizes", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:        # Ctrl-C: one line, the shell's status for SIGINT (outputs are atomic)
        if args.debug:
            traceback.print_exc()
        print(f"parity {args.cmd}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 -- a bug of ours: say so, distinctly from a parity failure
        if args.debug:
            traceback.print_exc()
        print(f"parity {args.cmd}: internal error: {type(e).__name__}: {e} (run with --debug for the traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
