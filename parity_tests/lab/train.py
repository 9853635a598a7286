"""``parity train``: one training run of a preset model on a dataset, optionally with the torch
mirror in lockstep, written out as JSON and PNG; checkpoints, resume and a drift gate."""
import os
import time
from dataclasses import asdict

from numpy_impl.checkpoint import read_checkpoint

from ..gate.lockstep import trainer_with_mirror
from ..options import (UsageError, add_data_options, add_model_options, check_architecture, count, distinct_files,
                       input_file, output_files_in,
                       number, output_path)
from .plots import training_curves
from .presets import MODELS, build_model, build_optimizer, for_model, load_data, write_json

DRIFT_LIMIT_FLOAT64 = 1e-8      # float64 lockstep stays within 1e-8 of the parameters' magnitude


def train(cfg, data, lockstep=False, checkpoint=None, checkpoint_every=None, resume=None, progress=True,
          log=print, out=None, max_steps=None):
    """One run: returns ``(model, summary)``; ``summary`` holds the history, test accuracy, times,
    and in lockstep the torch mirror's figures and the largest drift. With ``out``, writes
    ``history.json`` and ``curves.png`` there."""
    if lockstep and resume:
        raise UsageError("lockstep starts NumPy and torch from the same weights and optimizer state; "
                         "it cannot resume a NumPy checkpoint (drop --resume or --lockstep)")
    if resume:
        check_resume(cfg, resume, log)
    model = build_model(cfg, data["X_train"].shape[1:], len(data["classes"]))
    opt, sched = build_optimizer(cfg, model)
    trainer, mirror = trainer_with_mirror(model, opt, sched, lockstep=lockstep,
                                          eval_sets={"val": (data["X_val"], data["y_val"])} if len(data["X_val"]) else {},
                                          batch_size=cfg.batch_size, seed=cfg.seed, progress=progress, log=log)
    trainer.config = asdict(cfg)
    if resume:
        trainer.resume(resume)
        (log or (lambda *a: None))(f"resumed from {resume} at epoch {trainer.epoch}, step {trainer.step}")
    t0 = time.perf_counter()
    hist = trainer.fit(data["X_train"], data["y_train"], cfg.epochs, data["X_val"], data["y_val"],
                       checkpoint=checkpoint, checkpoint_every=checkpoint_every, max_steps=max_steps)
    wall = time.perf_counter() - t0
    summary = {"config": asdict(cfg), "source": data.get("source"), "train_samples": len(data["X_train"]),
               "stopped": trainer.stopped, "test_acc": model.accuracy(data["X_test"], data["y_test"]),
               "val_acc": hist["epochs"][-1]["val_acc"] if hist["epochs"] else None,
               "numpy_seconds": sum(e["seconds"] for e in hist["epochs"]), "wall_seconds": wall,
               "history": hist}
    if mirror:
        summary.update(mirror.summary(DRIFT_LIMIT_FLOAT64 if cfg.dtype == "float64" else None),
                       torch_test_acc=mirror.accuracy(data["X_test"], data["y_test"]),
                       torch_seconds=sum(e["torch_seconds"] for e in hist["epochs"]))
        summary["time_ratio"] = summary["numpy_seconds"] / max(summary["torch_seconds"], 1e-12)
        hist["lockstep"] = mirror.steps
    if out:
        os.makedirs(out, exist_ok=True)
        summary["files"] = [write_json(os.path.join(out, OUT_FILES[0]), summary)]
        title = f"{cfg.model} on {cfg.data} ({cfg.dtype})" + (", NumPy and torch in lockstep" if mirror else "")
        summary["files"].append(training_curves(hist, os.path.join(out, OUT_FILES[1]), title))
    return model, summary


RESUME_MAY_CHANGE = ("root", "verify_checksums")     # where the same data lives: nothing a step depends on


def checkpoint_config(path):
    """The ``Config`` (as a dict) a checkpoint was written with, or None (a checkpoint of the library
    not made by ``parity train``); a file that is no checkpoint is a ``UsageError``."""
    try:
        _, meta = read_checkpoint(path)
    except ValueError as e:
        raise UsageError(str(e)) from None
    return meta.get("extra", {}).get("config"), meta.get("extra", {}).get("trainer", {})


def check_resume(cfg, path, log=print):
    """Refuse to resume ``path`` with settings other than its own, naming each difference. More
    epochs are allowed when there is no schedule (a schedule's length is fixed by its epochs)."""
    saved, _ = checkpoint_config(path)
    if saved is None:
        return
    now = asdict(cfg)
    diff = {k: (saved.get(k), now.get(k)) for k in sorted(set(saved) | set(now))
            if saved.get(k) != now.get(k) and k not in RESUME_MAY_CHANGE}
    if set(diff) == {"epochs"} and cfg.schedule == "none" and now["epochs"] > saved["epochs"]:
        if log:
            log(f"resuming with --epochs {now['epochs']} (the checkpoint's run had {saved['epochs']})")
        return
    if diff:
        listed = "; ".join(f"--{k.replace('_', '-')}: checkpoint {a!r}, now {b!r}" for k, (a, b) in diff.items())
        hint = (" (more epochs are only allowed with --schedule none: the schedule's length is fixed)"
                if "epochs" in diff and cfg.schedule != "none" else "")
        raise UsageError(f"--resume {path}: the checkpoint was made with other settings, so the run would not "
                         f"continue exactly: {listed}{hint}; pass the checkpoint's settings or start a new run")


OUT_FILES = ("history.json", "curves.png")        # what a run writes into --out


def check_outputs(args):
    """Every file the command will write, checked (folders created) before any work; an existing
    checkpoint of another run is never overwritten without --overwrite."""
    output_path(args.out, "--out", folder=True)
    fixed = output_files_in(args.out, OUT_FILES) if args.out else []
    output_path(args.save_state_dict, "--save-state-dict")
    input_file(args.resume, "--resume")
    if args.checkpoint is not None and args.checkpoint == "":
        raise UsageError("--checkpoint: expected a path, got ''")
    if args.resume is not None and args.resume == "":
        raise UsageError("--resume: expected a path, got ''")
    same = args.checkpoint and args.resume and os.path.realpath(args.checkpoint) == os.path.realpath(args.resume)
    distinct_files(("--checkpoint", args.checkpoint), ("--resume", None if same else args.resume),
                   ("--save-state-dict", args.save_state_dict),
                   *((f"--out's {n}", f) for n, f in zip(OUT_FILES, fixed)))
    if args.checkpoint_every and not (args.checkpoint or args.resume):
        raise UsageError("--checkpoint-every needs --checkpoint FILE (or --resume FILE)")
    target = args.checkpoint or args.resume
    output_path(target, "--checkpoint" if args.checkpoint else "--resume")
    if args.checkpoint and os.path.exists(args.checkpoint) and not args.overwrite and not (
            args.resume and os.path.samefile(args.checkpoint, args.resume)):
        try:
            _, pos = checkpoint_config(args.checkpoint)
            what = f"a checkpoint at epoch {pos.get('epoch')}, step {pos.get('step')}"
        except UsageError:
            what = "not a checkpoint"
        raise UsageError(f"--checkpoint {args.checkpoint}: the file exists ({what}); continue it with --resume "
                         f"{args.checkpoint}, or pass --overwrite to replace it")


def format_summary(s):
    val = "not measured (no validation set, or no epoch finished)" if s["val_acc"] is None else round(s["val_acc"], 4)
    lines = [f"test accuracy (NumPy): {s['test_acc']:.4f}   val {val}"
             f"   train samples {s['train_samples']}   wall {s['wall_seconds']:.{1 if s['wall_seconds'] >= 0.1 else 3}f} s"]
    if "torch_test_acc" in s:
        lines.append(f"test accuracy (torch mirror): {s['torch_test_acc']:.4f}")
        lines.append(f"time NumPy {s['numpy_seconds']:.1f} s, torch {s['torch_seconds']:.1f} s, "
                     f"ratio NumPy/torch {s['time_ratio']:.2f}")
        limit = s["drift_limit"]
        over = s["first_over_limit"]
        if limit is None:
            verdict = f"  ({s['config']['dtype']}: reported, not gated)"
        elif over is None:
            verdict = f"  (within {limit:.0e})"
        else:
            verdict = (f"\nDRIFT EXCEEDS {limit:.0e}: first at step {over['step']}, in '{over['drift_in']}' "
                       f"({over['param_drift']:.2e}); run 'parity diagnose' on this model to find the layer")
        where = f" (in '{s['max_drift_in']}')" if s["max_drift_in"] else ""
        lines.append(f"lockstep: largest parameter drift {s['max_drift']:.2e}{where}, largest loss difference "
                     f"{s['max_loss_diff']:.2e} (relative){verdict}")
    if s["stopped"]:
        lines.append(s["stopped"])
    for f in s.get("files", []):
        lines.append(f"wrote {f}")
    return "\n".join(lines)


def passed(summary):
    """The gate: no NaN stop, and float64 lockstep drift within the limit."""
    if summary["stopped"]:
        return False
    return summary.get("first_over_limit") is None


TRAINING_KEYS = ("data", "root", "subset", "val", "epochs", "batch_size", "optimizer", "lr", "momentum",
                 "weight_decay", "reg", "schedule", "hidden", "channels", "activation", "init", "weight_scale",
                 "batchnorm", "dropout", "dtype", "seed", "verify_checksums")


def config_from(args, model=None):
    """The ``Config`` the options of a training command ask for."""
    return for_model(model or args.model, **{k: getattr(args, k, None) for k in TRAINING_KEYS})


def add_training_options(p):
    """Data, architecture and training options (``train``, ``search``, ``experiment``)."""
    add_data_options(p)
    add_model_options(p)
    p.add_argument("--epochs", type=count(1))
    p.add_argument("--batch-size", type=count(1))
    p.add_argument("--optimizer", type=str.lower,
                   choices=["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"])
    p.add_argument("--lr", type=number(0), help="learning rate (>= 0)")
    p.add_argument("--momentum", type=number(0), help="for sgd, momentum, nesterov (>= 0)")
    p.add_argument("--weight-decay", type=number(0), help="the optimizer's weight decay (>= 0)")
    p.add_argument("--schedule", choices=["none", "step", "cosine"])


def describe_data(cfg, data):
    return (f"{cfg.model} on {cfg.data} ({data['source']}): {len(data['X_train'])} train, {len(data['X_val'])} val, "
            f"{len(data['X_test'])} test")


def run_command(args):
    if args.lockstep and args.resume:
        raise UsageError("lockstep starts NumPy and torch from the same weights and optimizer state; "
                         "it cannot resume a NumPy checkpoint (drop --resume or --lockstep)")
    check_architecture(args.model, args)
    check_outputs(args)
    cfg = config_from(args)
    if getattr(args, "momentum", None) is not None and cfg.optimizer not in ("sgd", "momentum", "nesterov"):
        raise UsageError(f"--momentum is for the sgd, momentum and nesterov optimizers; {cfg.optimizer} has none "
                         "(drop --momentum, or choose --optimizer momentum)")
    if args.resume:
        check_resume(cfg, args.resume)
    data = load_data(cfg)
    print(f"{describe_data(cfg, data)}; {cfg.optimizer} lr {cfg.lr}, {cfg.epochs} epochs, batch {cfg.batch_size}, "
          f"{cfg.dtype}" + (", torch mirror in lockstep" if args.lockstep else ""))
    try:
        model, summary = train(cfg, data, lockstep=args.lockstep, checkpoint=args.checkpoint or args.resume,
                               checkpoint_every=args.checkpoint_every, resume=args.resume,
                               progress=not args.no_progress, out=args.out, max_steps=args.max_steps)
    except ValueError as e:
        raise UsageError(str(e)) from None
    except KeyboardInterrupt:          # the trainer has said where to resume from
        return 130
    if args.save_state_dict:
        from torch_ref.interop import save_state_dict
        save_state_dict(model, args.save_state_dict)
        summary.setdefault("files", []).append(args.save_state_dict)
    print(format_summary(summary))
    return 0 if passed(summary) else 1


def add_command(sub):
    t = sub.add_parser("train", help="train a model; --lockstep trains the torch mirror beside it",
                       description="Train a NumPy model (presets per model, see parity_tests/lab/presets.py). With "
                                   "--lockstep the torch mirror takes the same steps; exit 1 on a NaN stop or a "
                                   "float64 drift above 1e-8.")
    t.add_argument("model", choices=MODELS)
    add_training_options(t)
    t.add_argument("--lockstep", action="store_true", help="train the torch mirror side by side, record the drift")
    t.add_argument("--out", help="folder for history.json and curves.png")
    t.add_argument("--checkpoint", help="checkpoint file, written after every epoch (atomically)")
    t.add_argument("--checkpoint-every", type=count(1), help="also every N steps")
    t.add_argument("--overwrite", action="store_true", help="let --checkpoint replace an existing file")
    t.add_argument("--resume", help="resume from this checkpoint (bit-identical to an uninterrupted run); "
                                    "it keeps being updated unless --checkpoint names another")
    t.add_argument("--max-steps", type=count(1), help="stop after N updates in all (the checkpoint is written there)")
    t.add_argument("--save-state-dict", help="export the trained model as the torch mirror's state_dict (.pt)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(func=run_command)
