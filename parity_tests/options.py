"""What the ``parity`` subcommands share: the usage error (exit status 2), the model and data
options, and loading a dataset the way a model kind wants it. Gate and lab commands both use it;
it imports neither."""
import argparse

import numpy as np

from numpy_impl.models import MODELS


class UsageError(Exception):
    """A bad option, a missing file, a factory that raises: the command exits 2 with this message."""


def csv(kind):
    """``a,b,c`` -> [kind(a), kind(b), kind(c)]."""
    def parse(text):
        try:
            return [kind(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated {kind.__name__} values, got {text!r}") from None
    return parse


def add_model_options(p):
    """The architecture of a built-in model (defaults per kind: ``numpy_impl.models.architecture``)."""
    p.add_argument("--hidden", type=csv(int), help="hidden sizes, e.g. 512,256")
    p.add_argument("--channels", type=csv(int), help="conv channels per block, e.g. 16,32")
    p.add_argument("--activation", choices=["relu", "sigmoid", "tanh"])
    p.add_argument("--init", help="he | xavier | lecun | normal (with --weight-scale) ...")
    p.add_argument("--weight-scale", type=float)
    p.add_argument("--batchnorm", action="store_true", default=None)
    p.add_argument("--dropout", type=float)
    p.add_argument("--reg", type=float, help="L2 in the loss: reg * sum(W**2)")
    p.add_argument("--dtype", choices=["float64", "float32"])
    p.add_argument("--seed", type=int)


def add_data_options(p, default="fashion-mnist"):
    p.add_argument("--data", default=default, help=f"mnist | fashion-mnist | cifar10 (default {default})")
    p.add_argument("--root", help="folder holding the dataset's files (see datasets/loaders.py)")
    p.add_argument("--subset", type=int, help="train on this many samples only (seeded)")
    p.add_argument("--val", type=int, help="validation samples held out of the training split")


IMAGE_SHAPES = {"mnist": (28, 28), "fashion-mnist": (28, 28), "cifar10": (3, 32, 32)}   # for pictures of weights
ARCHITECTURE_KEYS = ("hidden", "channels", "activation", "init", "weight_scale", "batchnorm", "dropout")


def load_data(kind, data, root=None, dtype="float64", subset=0, val=None, seed=0):
    """Train/val/test arrays for a model of ``kind``: pixels in [0, 1], then the training mean
    image subtracted (flat models) or per-channel standardisation (conv); statistics from the
    training split only. Dataset errors become ``UsageError``."""
    from datasets import DatasetError, DatasetNotFound, prepare
    from datasets.loaders import canonical
    from datasets.preprocess import CLASSIC_SPLITS, subset as take
    if kind not in MODELS:
        raise UsageError(f"unknown model {kind!r}; choose one of {', '.join(MODELS)}")
    flat = kind != "conv"
    try:
        name = canonical(data)
        num_val = val
        if num_val is None and subset:
            num_val = min(max(1, subset // 10), CLASSIC_SPLITS.get(name, (0, 1000))[1])
        out = prepare(name, root, num_val=num_val, split_seed=0, dtype=np.dtype(dtype).type,
                      subtract_mean=flat, standardize=not flat, flat=flat)
    except (DatasetError, DatasetNotFound, ValueError) as e:
        raise UsageError(str(e)) from None
    out["image_shape"] = IMAGE_SHAPES.get(name, out["X_test"].shape[1:])
    if subset and subset < len(out["X_train"]):
        out["X_train"], out["y_train"] = take(out["X_train"], out["y_train"], subset, seed=seed)
    return out
