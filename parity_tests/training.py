"""What ``parity train``, ``parity search`` and ``parity experiment`` share: building a model and
its optimizer from plain settings, loading a dataset the way each model wants it, and a training
run with the torch mirror in lockstep, written out as JSON and PNG."""
import json
import os
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

import numpy_impl.optim as no
from numpy_impl.checkpoint import atomic_write
from numpy_impl.models import ConvNet, FullyConnectedNet, LinearClassifier, TwoLayerNet
from numpy_impl.train import Trainer

MODEL_KINDS = ("softmax", "svm", "two-layer", "mlp", "conv")
IMAGE_SHAPES = {"mnist": (28, 28), "fashion-mnist": (28, 28), "cifar10": (3, 32, 32)}
DRIFT_LIMIT_FLOAT64 = 1e-8      # issue 6: float64 lockstep stays within 1e-8 relative


@dataclass
class Config:
    """One training run. Defaults are the README's Fashion-MNIST settings per model (``for_model``)."""
    model: str = "mlp"
    data: str = "fashion-mnist"
    root: str = None
    subset: int = 0              # 0: the whole training split
    val: int = None              # held-out training samples (default 5000, or 10% of a subset)
    epochs: int = 10
    batch_size: int = 128
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.0        # for sgd; "momentum" and "nesterov" use 0.9 unless set
    weight_decay: float = 0.0
    reg: float = 0.0             # L2 in the loss (reg * sum W^2), the classic form
    schedule: str = "none"       # none | step | cosine
    hidden: list = field(default_factory=lambda: [512, 256])
    channels: list = field(default_factory=lambda: [16, 32])
    activation: str = "relu"
    init: str = "he"
    weight_scale: float = 1e-2
    batchnorm: bool = False
    dropout: float = 0.0
    dtype: str = "float64"
    seed: int = 0


PRESETS = {
    "softmax": dict(epochs=10, batch_size=128, optimizer="momentum", lr=0.1, reg=1e-5, schedule="cosine"),
    "svm": dict(epochs=10, batch_size=128, optimizer="momentum", lr=0.01, reg=1e-4, schedule="cosine"),
    "two-layer": dict(epochs=10, hidden=[256], lr=1e-3, weight_scale=1e-2),
    "mlp": dict(epochs=15, hidden=[512, 256], batchnorm=True, dropout=0.3, lr=1e-3, schedule="cosine"),
    "conv": dict(epochs=6, batch_size=64, channels=[16, 32], hidden=[128], lr=1e-3, schedule="cosine"),
}


def for_model(model, **overrides):
    """The preset of ``model`` with ``overrides`` (None values ignored)."""
    base = Config(model=model, **PRESETS.get(model, {}))
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})


def build_model(cfg, input_shape, num_classes=10):
    """x: (N, D) for the flat models, (N, C, H, W) for ``conv``."""
    dtype = np.dtype(cfg.dtype).type
    dim = int(np.prod(input_shape))
    if cfg.model in ("softmax", "svm"):
        return LinearClassifier(dim, num_classes, loss=cfg.model, reg=cfg.reg, seed=cfg.seed, dtype=dtype)
    if cfg.model == "two-layer":
        return TwoLayerNet(dim, cfg.hidden[0], num_classes, weight_scale=cfg.weight_scale, reg=cfg.reg,
                           seed=cfg.seed, dtype=dtype)
    if cfg.model == "mlp":
        return FullyConnectedNet(dim, cfg.hidden, num_classes, activation=cfg.activation, init=cfg.init,
                                 weight_scale=cfg.weight_scale, batchnorm=cfg.batchnorm, dropout=cfg.dropout,
                                 reg=cfg.reg, seed=cfg.seed, dtype=dtype)
    if cfg.model == "conv":
        return ConvNet(tuple(input_shape), cfg.channels, cfg.hidden[0], num_classes, reg=cfg.reg, seed=cfg.seed,
                       dtype=dtype)
    raise ValueError(f"unknown model {cfg.model!r}; choose one of {', '.join(MODEL_KINDS)}")


def build_optimizer(cfg, model, steps_per_epoch=1):
    params = model.named_parameters()
    name = cfg.optimizer.lower()
    if name in ("sgd", "momentum", "nesterov"):
        mom = cfg.momentum or (0.0 if name == "sgd" else 0.9)
        opt = no.SGD(params, lr=cfg.lr, momentum=mom, nesterov=name == "nesterov", weight_decay=cfg.weight_decay)
    elif name in no.OPTIMIZERS:
        opt = no.OPTIMIZERS[name](params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        raise ValueError(f"unknown optimizer {cfg.optimizer!r}; choose sgd, momentum, nesterov, "
                         + ", ".join(k for k in no.OPTIMIZERS if k != "sgd"))
    if cfg.schedule == "none":
        return opt, None
    if cfg.schedule == "step":
        return opt, no.StepLR(opt, step_size=max(1, cfg.epochs // 3), gamma=0.1)
    if cfg.schedule == "cosine":
        return opt, no.CosineAnnealingLR(opt, T_max=cfg.epochs)
    raise ValueError(f"unknown schedule {cfg.schedule!r}; choose none, step or cosine")


def load_data(cfg):
    """Train/val/test arrays for ``cfg``: pixels in [0, 1], then the training mean image subtracted
    (flat models) or per-channel standardisation (conv)."""
    from datasets import prepare
    from datasets.preprocess import CLASSIC_SPLITS, subset
    flat = cfg.model != "conv"
    name = {"fashion_mnist": "fashion-mnist", "cifar-10": "cifar10"}.get(cfg.data, cfg.data)
    num_val = cfg.val
    if num_val is None and cfg.subset:
        num_val = min(max(1, cfg.subset // 10), CLASSIC_SPLITS.get(name, (0, 1000))[1])
    data = prepare(name, cfg.root, num_val=num_val, split_seed=0, dtype=np.dtype(cfg.dtype).type,
                   subtract_mean=flat, standardize=not flat, flat=flat)
    data["image_shape"] = IMAGE_SHAPES.get(name, data["X_test"].shape[1:])
    if cfg.subset and cfg.subset < len(data["X_train"]):
        data["X_train"], data["y_train"] = subset(data["X_train"], data["y_train"], cfg.subset, seed=cfg.seed)
    return data


def write_json(path, obj):
    text = json.dumps(obj, indent=1, default=lambda o: o.item() if hasattr(o, "item") else str(o))
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))
    return path


def train(cfg, data, lockstep=False, checkpoint=None, checkpoint_every=None, resume=None, progress=True,
          log=print, out=None, max_steps=None):
    """One run: returns ``(model, summary)``; ``summary`` holds the history, test accuracy, times,
    and in lockstep the torch mirror's figures and the largest drift. With ``out``, writes
    ``history.json`` and ``curves.png`` there."""
    model = build_model(cfg, data["X_train"].shape[1:], len(data["classes"]))
    opt, sched = build_optimizer(cfg, model)
    mirror = None
    if lockstep:
        if resume:
            raise ValueError("lockstep starts NumPy and torch from the same weights and optimizer state; "
                             "it cannot resume a NumPy checkpoint (drop --resume or --lockstep)")
        from .models import Lockstep
        mirror = Lockstep(model, opt, sched, eval_sets={"val": (data["X_val"], data["y_val"])})
    trainer = Trainer(model, opt, sched, batch_size=cfg.batch_size, seed=cfg.seed,
                      callbacks=[mirror] if mirror else [], progress=progress, log=log)
    if resume:
        trainer.resume(resume)
        log(f"resumed from {resume} at epoch {trainer.epoch}, step {trainer.step}")
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
        limit = DRIFT_LIMIT_FLOAT64 if cfg.dtype == "float64" else None
        worst = mirror.worst() or {"param_drift": 0.0}
        first_over = next((s for s in mirror.steps if s["param_drift"] > limit), None) if limit else None
        summary.update(torch_test_acc=mirror.accuracy(data["X_test"], data["y_test"]),
                       torch_seconds=sum(e["torch_seconds"] for e in hist["epochs"]),
                       max_drift=worst["param_drift"], max_drift_in=worst.get("drift_in"),
                       first_over_limit={k: first_over[k] for k in ("step", "drift_in", "param_drift")}
                       if first_over else None,
                       max_loss_diff=max((abs(s["loss_numpy"] - s["loss_torch"]) / max(abs(s["loss_torch"]), 1e-300)
                                          for s in mirror.steps), default=0.0),
                       drift_limit=limit)
        summary["time_ratio"] = summary["numpy_seconds"] / max(summary["torch_seconds"], 1e-12)
        hist["lockstep"] = mirror.steps
    if out:
        from .plots import training_curves
        os.makedirs(out, exist_ok=True)
        summary["files"] = [write_json(os.path.join(out, "history.json"), summary)]
        title = f"{cfg.model} on {cfg.data} ({cfg.dtype})" + (", NumPy and torch in lockstep" if mirror else "")
        summary["files"].append(training_curves(hist, os.path.join(out, "curves.png"), title))
    return model, summary


def format_summary(s):
    lines = [f"test accuracy (NumPy): {s['test_acc']:.4f}   val {s['val_acc'] if s['val_acc'] is None else round(s['val_acc'], 4)}"
             f"   train samples {s['train_samples']}   wall {s['wall_seconds']:.1f} s"]
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
