"""The ``parity`` command line.

  parity check [--only PATTERN] [--dtype float64|float32] [--seed N] [--json F] [--junit F]
  parity list [--markdown]          the registry: components, samples, conventions
  parity bench [--quick]            NumPy/torch time ratios (forward+backward, interleaved, medians)
  parity optim-paths [--out F]      the classic optimizer-path picture, NumPy and torch overlaid
  parity train MODEL [--lockstep]   train on a dataset; with --lockstep the torch mirror beside it
  parity diagnose MODEL|--factory   the first layer where NumPy and torch part ways, on one batch
  parity search MODEL               hyperparameter search (grid or random), table and scatter plot
  parity experiment NAME            the classic experiments (optimizers, init, batchnorm, overfit,
                                    ensemble, weights) as PNG and JSON

Exit status: 0 when every check passes, 1 when any fails (for train: a NaN stop, or float64
lockstep drift above 1e-8; for diagnose: a divergence), 2 on a usage error or missing data.
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


def _config(args):
    from .training import for_model
    keys = ("data", "root", "subset", "val", "epochs", "batch_size", "optimizer", "lr", "momentum", "weight_decay",
            "reg", "schedule", "hidden", "channels", "activation", "init", "weight_scale", "batchnorm", "dropout",
            "dtype", "seed")
    return for_model(args.model, **{k: getattr(args, k, None) for k in keys})


def _load(cfg):
    from datasets import DatasetError, DatasetNotFound
    from .training import load_data
    try:
        return load_data(cfg)
    except (DatasetError, DatasetNotFound) as e:
        print(f"parity: {e}", file=sys.stderr)
        return None


def _train(args):
    from .training import format_summary, passed, train
    cfg = _config(args)
    data = _load(cfg)
    if data is None:
        return 2
    print(f"{cfg.model} on {cfg.data} ({data['source']}): {len(data['X_train'])} train, {len(data['X_val'])} val, "
          f"{len(data['X_test'])} test; {cfg.optimizer} lr {cfg.lr}, {cfg.epochs} epochs, batch {cfg.batch_size}, "
          f"{cfg.dtype}" + (", torch mirror in lockstep" if args.lockstep else ""))
    try:
        model, summary = train(cfg, data, lockstep=args.lockstep, checkpoint=args.checkpoint or args.resume,
                               checkpoint_every=args.checkpoint_every, resume=args.resume,
                               progress=not args.no_progress, out=args.out, max_steps=args.max_steps)
    except ValueError as e:
        print(f"parity train: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:          # the trainer has said where to resume from
        return 130
    if args.save_state_dict:
        from torch_ref.interop import save_state_dict
        save_state_dict(model, args.save_state_dict)
        summary.setdefault("files", []).append(args.save_state_dict)
    print(format_summary(summary))
    return 0 if passed(summary) else 1


def _diagnose(args):
    import numpy as np
    from .models import diagnose, format_diagnosis
    if args.factory:
        try:
            model, X, y = _from_factory(args.factory)
        except (LookupError, ImportError) as e:
            print(f"parity diagnose: {e}", file=sys.stderr)
            return 2
        if X is None:
            shape = tuple(int(v) for v in args.input_shape.split(","))
            rng = np.random.default_rng(args.seed)
            X = rng.standard_normal((args.batch, *shape)).astype(args.dtype)
            scores = model.forward(X, training=False)
            y = rng.integers(0, scores.shape[1], args.batch)
    else:
        if not args.model:
            print("parity diagnose: name a MODEL or give --factory FILE.py:FUNCTION", file=sys.stderr)
            return 2
        from .training import build_model
        cfg = _config(args)
        if args.data == "random":
            shape = (1, 28, 28) if cfg.model == "conv" else (784,)
            rng = np.random.default_rng(args.seed)
            X = rng.standard_normal((args.batch, *shape)).astype(cfg.dtype)
            y = rng.integers(0, 10, args.batch)
            classes = 10
        else:
            data = _load(cfg)
            if data is None:
                return 2
            X, y, classes = data["X_train"][:args.batch], data["y_train"][:args.batch], len(data["classes"])
        model = build_model(cfg, X.shape[1:], classes)
        if args.weights:
            from torch_ref.interop import load_state_dict
            load_state_dict(model, args.weights)
    rows, first = diagnose(model, X, y, seed=args.seed)
    print(format_diagnosis(rows, first))
    if args.json:
        from .report import Report
        Report(rows).to_json(args.json)
        print(f"wrote {args.json}")
    return 0 if first is None else 1


def _from_factory(spec):
    """``path/to/file.py:function`` or ``package.module:function``; the function returns a model or
    ``(model, X, y)``."""
    import importlib
    import importlib.util
    where, _, name = spec.rpartition(":")
    if not where or not name:
        raise LookupError(f"--factory wants FILE.py:FUNCTION or module:FUNCTION, got {spec!r}")
    if where.endswith(".py"):
        if not os.path.exists(where):
            raise LookupError(f"no file {where!r}")
        module_spec = importlib.util.spec_from_file_location("parity_factory", where)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    if not callable(getattr(module, name, None)):
        raise LookupError(f"{where!r} has no function {name!r}")
    out = getattr(module, name)()
    return (out if isinstance(out, tuple) else (out, None, None))


def _range_or_list(text, points):
    """``a:b`` a log range (random search) or ``points`` log-spaced values (grid); ``a,b,c`` a list."""
    import numpy as np
    def num(v):
        return int(v) if v.strip().lstrip("-").isdigit() else float(v)
    if ":" in text:
        lo, hi = (num(v) for v in text.split(":"))
        if points:
            vals = np.geomspace(lo, hi, points)
            return [int(round(v)) for v in vals] if isinstance(lo, int) and isinstance(hi, int) else [float(v) for v in vals]
        return (lo, hi)
    return [num(v) for v in text.split(",")]


def _search(args):
    from numpy_impl.search import grid, random_configs, results_table, search
    from .plots import search_scatter
    from .training import train, write_json
    space = {"lr": args.lr_range, "reg": args.reg_range}
    if args.model in ("two-layer", "mlp"):
        space["hidden"] = args.hidden_sizes
    points = args.points if args.mode == "grid" else 0
    space = {k: _range_or_list(v, points) for k, v in space.items()}
    try:
        configs = grid(space) if args.mode == "grid" else random_configs(space, args.trials, seed=args.seed or 0)
    except ValueError as e:
        print(f"parity search: {e}", file=sys.stderr)
        return 2
    base = _config(args)
    data = _load(base)
    if data is None:
        return 2
    print(f"{args.mode} search, {len(configs)} trials of {base.model} on {len(data['X_train'])} samples, "
          f"{base.epochs} epoch(s) each")

    def train_fn(config, seed):
        from dataclasses import replace
        cfg = replace(base, lr=config["lr"], reg=config["reg"], seed=seed[0] * 1000 + seed[1],   # trial i: seed*1000 + i
                      hidden=[config["hidden"]] * len(base.hidden) if "hidden" in config else base.hidden)
        model, s = train(cfg, data, progress=False, log=None)
        ep = s["history"]["epochs"]
        out = {"val_acc": s["val_acc"] or 0.0, "train_acc": ep[-1]["train_acc"] if ep else 0.0}
        if s["stopped"]:
            out.update(val_acc=0.0, failed="stopped: non-finite loss")
        return out

    results = search(train_fn, configs, seed=base.seed)
    print(results_table(results))
    best = results[0]
    print("best: " + " ".join(f"{k}={v}" for k, v in best["config"].items()) + f"  val acc {best['val_acc']:.4f}")
    os.makedirs(args.out, exist_ok=True)
    files = [write_json(os.path.join(args.out, "search.json"), {"mode": args.mode, "space": {k: list(v) if isinstance(v, tuple) else v for k, v in space.items()}, "results": results}),
             search_scatter(results, os.path.join(args.out, "search.png"),
                            title=f"{args.mode} search: {base.model} on {base.data}")]
    for f in files:
        print(f"wrote {f}")
    return 0


def _experiment(args):
    from .experiments import EXPERIMENTS
    names = list(EXPERIMENTS) if args.name == "all" else [args.name]
    cfg = _config(argparse.Namespace(**{**vars(args), "model": "mlp"}))
    data = _load(cfg)
    if data is None:
        return 2
    os.makedirs(args.out, exist_ok=True)
    for name in names:
        t0 = time.perf_counter()
        print(f"== {name}: {EXPERIMENTS[name].__doc__.splitlines()[0]}")
        EXPERIMENTS[name](data, args.out, scale=args.scale, seed=args.seed or 0, lockstep=args.lockstep)
        print(f"   ({time.perf_counter() - t0:.1f} s)")
    return 0


def _csv(kind):
    return lambda text: [kind(v) for v in text.split(",") if v]


def _model_options(p, data_default="fashion-mnist"):
    from .training import MODEL_KINDS
    p.add_argument("--data", default=data_default, help=f"mnist | fashion-mnist | cifar10 (default {data_default})")
    p.add_argument("--root", help="folder holding the dataset's files (see datasets/loaders.py)")
    p.add_argument("--subset", type=int, help="train on this many samples only (seeded)")
    p.add_argument("--val", type=int, help="validation samples held out of the training split")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--optimizer", help="sgd | momentum | nesterov | adagrad | rmsprop | adam | adamw")
    p.add_argument("--lr", type=float)
    p.add_argument("--momentum", type=float)
    p.add_argument("--weight-decay", type=float, help="the optimizer's weight decay")
    p.add_argument("--reg", type=float, help="L2 in the loss: reg * sum(W**2)")
    p.add_argument("--schedule", choices=["none", "step", "cosine"])
    p.add_argument("--hidden", type=_csv(int), help="hidden sizes, e.g. 512,256")
    p.add_argument("--channels", type=_csv(int), help="conv channels per block, e.g. 16,32")
    p.add_argument("--activation", choices=["relu", "sigmoid", "tanh"])
    p.add_argument("--init", help="he | xavier | lecun | normal (with --weight-scale) ...")
    p.add_argument("--weight-scale", type=float)
    p.add_argument("--batchnorm", action="store_true", default=None)
    p.add_argument("--dropout", type=float)
    p.add_argument("--dtype", choices=["float64", "float32"])
    p.add_argument("--seed", type=int)
    return MODEL_KINDS


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

    from .training import MODEL_KINDS
    t = sub.add_parser("train", help="train a model; --lockstep trains the torch mirror beside it",
                       description="Train a NumPy model (presets per model, see parity_tests/training.py). With "
                                   "--lockstep the torch mirror takes the same steps; exit 1 on a NaN stop or a "
                                   "float64 drift above 1e-8.")
    t.add_argument("model", choices=MODEL_KINDS)
    _model_options(t)
    t.add_argument("--lockstep", action="store_true", help="train the torch mirror side by side, record the drift")
    t.add_argument("--out", help="folder for history.json and curves.png")
    t.add_argument("--checkpoint", help="checkpoint file, written after every epoch (atomically)")
    t.add_argument("--checkpoint-every", type=int, help="also every N steps")
    t.add_argument("--resume", help="resume from this checkpoint (bit-identical to an uninterrupted run); "
                                               "it keeps being updated unless --checkpoint names another")
    t.add_argument("--max-steps", type=int, help="stop after N updates in all (the checkpoint is written there)")
    t.add_argument("--save-state-dict", help="export the trained model as the torch mirror's state_dict (.pt)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(func=_train)

    d = sub.add_parser("diagnose", help="the first layer where NumPy and torch part ways, on one batch",
                       description="Run one batch through a NumPy model and its torch mirror; compare every "
                                   "layer's output, input gradient and parameter gradients in execution order.")
    d.add_argument("model", nargs="?", choices=MODEL_KINDS)
    _model_options(d, data_default="random")
    d.add_argument("--factory", help="FILE.py:FUNCTION or module:FUNCTION returning a model or (model, X, y)")
    d.add_argument("--input-shape", default="784", help="with --factory and no data: sample shape, e.g. 1,28,28")
    d.add_argument("--batch", type=int, default=32)
    d.add_argument("--weights", help="a state_dict (.pt) to load into the model first")
    d.add_argument("--json", metavar="FILE", help="write every comparison as JSON")
    d.set_defaults(func=_diagnose)

    s = sub.add_parser("search", help="hyperparameter search over lr, reg (and hidden size)",
                       description="Grid or random (log-uniform) search; each trial seeded; results sorted by "
                                   "validation accuracy; the lr/reg scatter plot as PNG.")
    s.add_argument("model", choices=MODEL_KINDS)
    _model_options(s)
    s.add_argument("--mode", choices=["random", "grid"], default="random")
    s.add_argument("--trials", type=int, default=12, help="random search: number of trials")
    s.add_argument("--points", type=int, default=3, help="grid: values per a:b range (log-spaced)")
    s.add_argument("--lr-range", default="1e-4:1e-2", help="a:b (log range) or a,b,c (values)")
    s.add_argument("--reg-range", default="1e-6:1e-2", help="a:b (log range) or a,b,c (values)")
    s.add_argument("--hidden-sizes", default="64,128,256", help="two-layer/mlp: hidden sizes to try")
    s.add_argument("--out", default="search")
    s.set_defaults(func=_search)

    from .experiments import EXPERIMENTS
    e = sub.add_parser("experiment", help="the classic experiments as PNG and JSON",
                       description="; ".join(f"{k}: {v.__doc__.splitlines()[0]}" for k, v in EXPERIMENTS.items()))
    e.add_argument("name", choices=list(EXPERIMENTS) + ["all"])
    _model_options(e)
    e.add_argument("--scale", type=float, default=1.0, help="shrink every run (0.1: a ten times shorter smoke run)")
    e.add_argument("--lockstep", action="store_true", help="train each net with its torch mirror, record drift")
    e.add_argument("--out", default="experiments")
    e.set_defaults(func=_experiment)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:          # `parity ... | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
