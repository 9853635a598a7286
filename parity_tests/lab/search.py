"""``parity search``: grid or random (log-uniform) hyperparameter search over a preset model, the
table sorted by validation accuracy, ``search.json`` and the lr/reg scatter plot. The search itself
is the library's (``numpy_impl.search``)."""
import os
from dataclasses import replace

import numpy as np

from numpy_impl.search import grid, random_configs, results_table, search

from ..options import UsageError, check_architecture, count, output_files_in, output_path
from .plots import search_scatter
from .presets import MODELS, load_data, write_json
from .train import add_training_options, config_from, train


def range_or_list(text, points, option="--lr-range", integer=False):
    """``a:b`` a log range (random search) or ``points`` log-spaced values (grid); ``a,b,c`` a list.
    Every value must be a positive number (an integer >= 1 with ``integer``), ``a <= b``."""
    allowed = ("a:b (a log range, 0 < a <= b) or a,b,c (values)" + (", integers >= 1" if integer else ", each > 0"))

    def bad():
        return UsageError(f"{option}: expected {allowed}, got {text!r}")

    def num(v):
        v = v.strip()
        try:
            x = int(v) if v.lstrip("-").isdigit() else float(v)
        except ValueError:
            raise bad() from None
        if not (x > 0 and np.isfinite(x)) or (integer and not isinstance(x, int)):
            raise bad()
        return x
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 2:
            raise bad()
        lo, hi = (num(v) for v in parts)
        if lo > hi:
            raise bad()
        if points:
            vals = np.geomspace(lo, hi, points)
            return [int(round(v)) for v in vals] if isinstance(lo, int) and isinstance(hi, int) else [float(v) for v in vals]
        return (lo, hi)
    return [num(v) for v in text.split(",")]


def run_command(args):
    check_architecture(args.model, args)
    if args.mode == "grid" and args.trials is not None:
        raise UsageError("--trials applies to --mode random; a grid runs every combination (size it with --points)")
    if args.mode == "random" and args.points is not None:
        raise UsageError("--points applies to --mode grid; a random search draws --trials configurations")
    if args.hidden_sizes is not None and args.model not in ("two-layer", "mlp"):
        raise UsageError(f"--hidden-sizes applies to two-layer and mlp, not {args.model}")
    space = {"lr": args.lr_range, "reg": args.reg_range}
    if args.model in ("two-layer", "mlp"):
        space["hidden"] = args.hidden_sizes or "64,128,256"
    points = (args.points or 3) if args.mode == "grid" else 0
    space = {k: range_or_list(v, points, "--" + k.replace("hidden", "hidden-sizes").replace("_", "-") +
                              ("" if k == "hidden" else "-range"), integer=k == "hidden") for k, v in space.items()}
    output_path(args.out, "--out", folder=True)
    output_files_in(args.out, ("search.json", "search.png"))
    try:
        configs = grid(space) if args.mode == "grid" else random_configs(space, args.trials or 12, seed=args.seed or 0)
    except ValueError as e:
        raise UsageError(str(e)) from None
    base = config_from(args)
    data = load_data(base)
    print(f"{args.mode} search, {len(configs)} trials of {base.model} on {len(data['X_train'])} samples, "
          f"{base.epochs} epoch(s) each")

    def train_fn(config, seed):
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
    files = [write_json(os.path.join(args.out, "search.json"),
                        {"mode": args.mode, "space": {k: list(v) if isinstance(v, tuple) else v for k, v in space.items()},
                         "results": results}),
             search_scatter(results, os.path.join(args.out, "search.png"),
                            title=f"{args.mode} search: {base.model} on {base.data}")]
    for f in files:
        print(f"wrote {f}")
    return 0


def add_command(sub):
    s = sub.add_parser("search", help="hyperparameter search over lr, reg (and hidden size)",
                       description="Grid or random (log-uniform) search; each trial seeded; results sorted by "
                                   "validation accuracy; the lr/reg scatter plot as PNG.")
    s.add_argument("model", choices=MODELS)
    add_training_options(s)
    s.add_argument("--mode", choices=["random", "grid"], default="random")
    s.add_argument("--trials", type=count(1), help="random search: number of trials (default 12)")
    s.add_argument("--points", type=count(1), help="grid: values per a:b range, log-spaced (default 3)")
    s.add_argument("--lr-range", default="1e-4:1e-2", help="a:b (log range) or a,b,c (values)")
    s.add_argument("--reg-range", default="1e-6:1e-2", help="a:b (log range) or a,b,c (values)")
    s.add_argument("--hidden-sizes", help="two-layer/mlp: hidden sizes to try (default 64,128,256)")
    s.add_argument("--out", default="search", help="folder for search.json and search.png")
    s.set_defaults(func=run_command)
