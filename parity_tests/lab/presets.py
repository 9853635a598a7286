"""The training presets: one ``Config`` per run, with the settings used for the README's
Fashion-MNIST results per model kind, and building the model, optimizer and schedule it names.
``parity train``, ``parity search`` and ``parity experiment`` share them."""
import json
from dataclasses import dataclass, replace

import numpy_impl.optim as no
from numpy_impl.atomic import atomic_write
from numpy_impl.models import MODELS, architecture
from numpy_impl.models import build_model as build

from .. import options


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
    # the architecture: defaults per kind from ``numpy_impl.models.architecture``
    hidden: list = None
    channels: list = None
    activation: str = None
    init: str = None
    weight_scale: float = None
    batchnorm: bool = None
    dropout: float = None
    dtype: str = "float64"
    seed: int = 0
    verify_checksums: bool = True    # CIFAR-10: False accepts batch files that are not torchvision's

PRESETS = {          # the training settings; the architecture is the kind's own
    "softmax": dict(epochs=10, batch_size=128, optimizer="momentum", lr=0.1, reg=1e-5, schedule="cosine"),
    "svm": dict(epochs=10, batch_size=128, optimizer="momentum", lr=0.01, reg=1e-4, schedule="cosine"),
    "two-layer": dict(epochs=10, lr=1e-3),
    "mlp": dict(epochs=15, lr=1e-3, schedule="cosine"),
    "conv": dict(epochs=6, batch_size=64, lr=1e-3, schedule="cosine"),
}
assert set(PRESETS) == set(MODELS)

def for_model(model, **overrides):
    """The preset of ``model`` with ``overrides`` (None values ignored)."""
    base = Config(model=model, **architecture(model), **PRESETS[model])
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})

def build_model(cfg, input_shape, num_classes=10):
    """x: (N, D) for the flat models, (N, C, H, W) for ``conv``."""
    return build(cfg.model, input_shape, num_classes, reg=cfg.reg, seed=cfg.seed, dtype=cfg.dtype,
                 **{k: getattr(cfg, k) for k in options.ARCHITECTURE_KEYS})

def build_optimizer(cfg, model):
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
    """The dataset of ``cfg`` prepared for its model kind (``options.load_data``)."""
    return options.load_data(cfg.model, cfg.data, cfg.root, cfg.dtype, cfg.subset, cfg.val, cfg.seed,
                             verify_checksums=cfg.verify_checksums)

def write_json(path, obj):
    text = json.dumps(obj, indent=1, default=lambda o: o.item() if hasattr(o, "item") else str(o))
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))
    return path

