"""What the ``parity`` subcommands share: the usage error (exit status 2), the model and data
options, and loading a dataset the way a model kind wants it. Gate and lab commands both use it;
it imports neither."""
import argparse
import math
import os
import tempfile

import numpy as np

from numpy_impl.checks import in_range
from numpy_impl.models import MODELS


class UsageError(Exception):
    """A bad option, a missing file, a factory that raises: the command exits 2 with this message."""


def count(least=1, what=None):
    """An argparse type: an integer >= ``least`` (``what`` says what 0 means when 0 is allowed)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < least:
            raise argparse.ArgumentTypeError(f"expected an integer >= {least}{what or ''}, got {text!r}")
        return value
    parse.__name__ = "count"
    return parse


def number(low=None, high=None, low_open=False, high_open=False):
    """An argparse type: a finite float in [low, high] (an open end with ``*_open``)."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        ok, allowed = in_range(value, low, high, low_open, high_open)
        if not ok:
            raise argparse.ArgumentTypeError(f"expected a number {allowed}, got {text!r}")
        return value
    parse.__name__ = "number"
    return parse


def csv(kind, least=1):
    """``a,b,c`` -> [kind(a), kind(b), kind(c)]; at least one value, each integer >= ``least``."""
    def parse(text):
        parts = [v for v in text.split(",")]
        try:
            values = [kind(v) for v in parts]
        except ValueError:
            values = None
        if not values or (kind is int and min(values) < least):
            what = f"integers >= {least}" if kind is int else f"{kind.__name__} values"
            raise argparse.ArgumentTypeError(f"expected comma-separated {what}, e.g. 64,32, got {text!r}")
        return values
    parse.__name__ = "list"
    return parse


def output_path(path, option, folder=False):
    """Check that ``path`` can be written before any work starts, creating its folder: for a file,
    not an existing folder; for ``folder``, not an existing file; the folder writable. Returns
    ``path``; raises ``UsageError`` naming ``option`` otherwise."""
    if path is None:
        return None
    path = os.fspath(path)
    if not path:
        raise UsageError(f"{option}: expected a path, got ''")
    if folder:
        if os.path.exists(path) and not os.path.isdir(path):
            raise UsageError(f"{option} {path!r}: is a file, expected a folder")
        target = path
    else:
        if os.path.isdir(path) or path.endswith((os.sep, "/")):
            raise UsageError(f"{option} {path!r}: is a folder, expected a file name")
        target = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(target, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=target, prefix=".probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise UsageError(f"{option} {path!r}: cannot write in {target!r} ({e.strerror or e})") from None
    return path


def distinct_files(*named):
    """``named``: ``(option, path)`` for every file a command reads or writes. Two options naming one
    file (the same path, or a link to it) is a ``UsageError`` before any work: a report must not replace
    the weights it was computed from, nor one output another. Devices and pipes (``/dev/null``,
    ``/dev/stdout``) may be named twice."""
    seen = {}
    for option, path in named:
        if path is None or path == "":
            continue
        key = os.path.realpath(os.fspath(path))
        if os.path.exists(key) and not os.path.isfile(key):
            continue
        if key in seen and seen[key] != option:
            raise UsageError(f"{seen[key]} and {option} name the same file {os.fspath(path)!r}: one would "
                             f"replace the other; give each its own file")
        seen.setdefault(key, option)


def output_files_in(folder, names, option="--out"):
    """The fixed files a command writes into its ``--out`` folder, checked before any work (a folder
    where ``history.json`` goes is said now, not after the run). Returns the paths."""
    paths = [os.path.join(folder, n) for n in names]
    for path, n in zip(paths, names):
        output_path(path, f"{option} {folder!r}: its {n}")
    return paths


def input_file(path, option):
    """``path`` must be an existing readable file."""
    if path is not None and not os.path.isfile(path):
        raise UsageError(f"{option} {path!r}: " + ("is a folder, expected a file" if os.path.isdir(path)
                                                   else "no such file"))
    return path


def add_model_options(p):
    """The architecture of a built-in model (defaults per kind: ``numpy_impl.models.architecture``)."""
    from numpy_impl.init import INITIALIZERS
    p.add_argument("--hidden", type=csv(int), help="hidden sizes, e.g. 512,256 (each >= 1)")
    p.add_argument("--channels", type=csv(int), help="conv channels per block, e.g. 16,32 (each >= 1)")
    p.add_argument("--activation", choices=["relu", "sigmoid", "tanh"])
    p.add_argument("--init", choices=sorted(INITIALIZERS), help="weight initialiser (normal uses --weight-scale)")
    p.add_argument("--weight-scale", type=number(0, low_open=True), help="std of the 'normal' initialiser (> 0)")
    p.add_argument("--batchnorm", action="store_true", default=None)
    p.add_argument("--dropout", type=number(0, 1, high_open=True), help="drop probability in [0, 1)")
    p.add_argument("--reg", type=number(0), help="L2 in the loss: reg * sum(W**2) (>= 0)")
    p.add_argument("--dtype", choices=["float64", "float32"])
    p.add_argument("--seed", type=count(0))


def add_data_options(p, default="fashion-mnist"):
    choices = ["mnist", "fashion-mnist", "cifar10"] + (["random"] if default == "random" else [])
    p.add_argument("--data", default=default, type=str.lower, choices=choices, help=f"(default {default})")
    p.add_argument("--root", help="folder holding the dataset's files (see datasets/loaders.py)")
    p.add_argument("--subset", type=count(1), help="train on this many samples only (seeded)")
    p.add_argument("--val", type=count(0), help="validation samples held out of the training split")
    p.add_argument("--no-verify-checksums", dest="verify_checksums", action="store_false", default=None,
                   help="CIFAR-10: accept batch files that are not torchvision's (made by you)")


USED_BY = {   # the architecture options each model kind reads (numpy_impl.models.build_model)
    "softmax": (), "svm": (), "two-layer": ("hidden", "weight_scale"),
    "mlp": ("hidden", "activation", "init", "weight_scale", "batchnorm", "dropout"), "conv": ("channels", "hidden"),
}


def check_architecture(kind, args):
    """Refuse an architecture option that ``kind`` would silently ignore (or only partly use)."""
    for key in ("hidden", "channels", "activation", "init", "weight_scale", "batchnorm", "dropout"):
        value = getattr(args, key, None)
        if value is None:
            continue
        option = "--" + key.replace("_", "-")
        if key not in USED_BY[kind]:
            uses = ", ".join("--" + k.replace("_", "-") for k in USED_BY[kind]) or "none of the architecture options"
            raise UsageError(f"{option} does not apply to {kind} (it uses {uses})")
        if key == "hidden" and kind in ("two-layer", "conv") and len(value) != 1:
            raise UsageError(f"--hidden {','.join(map(str, value))}: {kind} has one hidden layer; give one size")


IMAGE_SHAPES = {"mnist": (28, 28), "fashion-mnist": (28, 28), "cifar10": (3, 32, 32)}   # for pictures of weights
ARCHITECTURE_KEYS = ("hidden", "channels", "activation", "init", "weight_scale", "batchnorm", "dropout")


def load_data(kind, data, root=None, dtype="float64", subset=0, val=None, seed=0, verify_checksums=True):
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
        if root is not None and not os.path.isdir(root):
            raise UsageError(f"{data}: --root {root!r}: " + ("is a file, expected a folder" if os.path.exists(root)
                                                     else "no such folder"))
        out = prepare(name, root, num_val=num_val, split_seed=0, dtype=np.dtype(dtype).type,
                      subtract_mean=flat, standardize=not flat, flat=flat, verify_checksums=verify_checksums)
    except (DatasetError, DatasetNotFound, ValueError) as e:
        if subset and "num_val" in str(e):
            raise UsageError(f"--subset {subset}: the {data} training split is smaller than the {num_val} "
                             f"validation samples held out for it ({e}); choose a smaller --subset or --val") from None
        if val is not None and "num_val" in str(e):
            raise UsageError(f"--val {val}: {e}") from None
        raise UsageError(str(e).replace(":\n  - ", ": ").replace("\n  - ", "; ").replace("\n", " ")) from None
    out["image_shape"] = IMAGE_SHAPES.get(name, out["X_test"].shape[1:])
    if subset and subset > len(out["X_train"]):
        raise UsageError(f"--subset {subset}: the {data} training split holds {len(out['X_train'])} samples after "
                         f"holding out {len(out['X_val'])} for validation")
    if subset and subset < len(out["X_train"]):
        out["X_train"], out["y_train"] = take(out["X_train"], out["y_train"], subset, seed=seed)
    return out
