"""The classic preprocessing steps, each optional, and the minibatch iterator that the NumPy trainer
and the torch mirror share (same batches, same order)."""
import os

import numpy as np

from numpy_impl.checks import FLOAT_DTYPES, check_flag
from numpy_impl.rng import as_rng
from numpy_impl.atomic import atomic_write
from numpy_impl.data import minibatches  # noqa: F401  (re-exported: the shared iterator)

from .loaders import canonical, load

CLASSIC_SPLITS = {"cifar10": (49_000, 1_000), "mnist": (55_000, 5_000), "fashion-mnist": (55_000, 5_000)}



def _float_dtype(component, dtype):
    """float32 or float64 as a NumPy dtype; anything else (a misspelt name too) named by ``component``."""
    try:
        d = np.dtype(dtype)
    except TypeError:
        d = None
    if d is None or d not in FLOAT_DTYPES:
        raise ValueError(f"{component}: dtype must be a floating-point type (float32, float64), got "
                         f"{d if d is not None else repr(dtype)}")
    return d


def _samples(component, X, y):
    """X (N, ...) and y (N, ...) as arrays (lists too: they are indexed with an index array below)."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"{component}: expected X (N, ...) and y (N, ...), got shapes {X.shape} and {y.shape}")
    if len(y) != len(X):
        raise ValueError(f"{component}: X has {len(X)} samples, y has {len(y)}")
    return X, y


def train_val_split(X, y, num_val, seed=None):
    """Hold out ``num_val`` training samples for validation: the last ones (the classic exercises)
    when ``seed`` is None, a seeded random choice otherwise."""
    X, y = _samples("train_val_split", X, y)
    n = len(X)
    if isinstance(num_val, bool) or not isinstance(num_val, (int, np.integer)) or not 0 <= num_val < n:
        raise ValueError(f"train_val_split: num_val must lie in [0, {n}), got {num_val}")
    order = np.arange(n) if seed is None else as_rng(seed, "train_val_split").permutation(n)
    tr, va = order[: n - num_val], order[n - num_val:]
    return X[tr], y[tr], X[va], y[va]


def subset(X, y, n, seed=0):
    """A seeded random development subset of ``n`` samples."""
    X, y = _samples("subset", X, y)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= len(X):
        raise ValueError(f"subset: n must be an integer in [0, {len(X)}], got {n!r}")
    idx = as_rng(seed, "subset").choice(len(X), n, replace=False)
    return X[idx], y[idx]


def to_float(X, dtype=np.float64, scale=True):
    """uint8 images to floats, in [0, 1] when ``scale`` (pixel values 0..255 of any integer dtype; floats
    or booleans are refused there: dividing them by 255 again is the classic double scaling)."""
    dtype = _float_dtype("to_float", dtype)         # "float32", np.float32 and np.dtype("float32") alike
    scale = check_flag("to_float", "scale", scale)
    X = np.asarray(X)
    if X.dtype.kind not in "iufb":
        raise TypeError(f"to_float: expected an array of pixel values, got dtype {X.dtype}")
    if scale:
        if X.dtype.kind in "fb":
            raise TypeError(f"to_float: expected integer pixel values 0..255 (uint8) to scale, got dtype {X.dtype}"
                            + (": already floats? pass scale=False" if X.dtype.kind == "f" else ""))
        if X.size and (X.min() < 0 or X.max() > 255):
            raise ValueError(f"to_float: pixel values must lie in [0, 255], got values from {X.min()} to {X.max()}")
    X = X.astype(dtype)
    return X / dtype.type(255) if scale else X


def mean_image(X_train):
    return X_train.mean(axis=0)


def channel_stats(X_train):
    """Per-channel mean and std over (N, H, W) of an (N, C, H, W) array."""
    X_train = np.asarray(X_train)
    if X_train.ndim != 4:
        raise ValueError(f"channel_stats: expected images of shape (N, C, H, W), got shape {X_train.shape}")
    return X_train.mean(axis=(0, 2, 3), keepdims=True)[0], X_train.std(axis=(0, 2, 3), keepdims=True)[0]


def flatten(X):
    X = np.asarray(X)
    if X.ndim == 0:
        raise ValueError(f"flatten: expected samples of shape (N, ...), got shape {X.shape}")
    return X.reshape(X.shape[0], int(np.prod(X.shape[1:])))      # also for an empty split (--val 0)


def add_bias_column(X):
    """The bias trick: append a column of ones to (N, D) data."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"add_bias_column: expected data of shape (N, D), got shape {X.shape} (flatten it first)")
    return np.hstack([X, np.ones((X.shape[0], 1), dtype=X.dtype)])


def prepare(name, root=None, num_val=None, split_seed=None, dev=0, dtype=np.float64, scale=True,
            subtract_mean=False, standardize=False, flat=False, bias_trick=False, **load_kw):
    """Load and preprocess a dataset the classic way. Statistics come from the training split only.

    Returns ``{"X_train", "y_train", "X_val", "y_val", "X_test", "y_test", "classes", ...}``;
    ``X_dev``/``y_dev`` when ``dev`` > 0."""
    canonical(name)
    for option, value in (("num_val", num_val), ("dev", dev)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0):
            raise ValueError(f"prepare: {option} must be an integer >= 0{' or None' if option == 'num_val' else ''}, "
                             f"got {value!r}")
    dtype = _float_dtype("prepare", dtype)
    scale, subtract_mean, standardize, flat, bias_trick = (     # the string "no" would switch one on
        check_flag("prepare", k, v) for k, v in (("scale", scale), ("subtract_mean", subtract_mean),
                                                ("standardize", standardize), ("flat", flat), ("bias_trick", bias_trick)))
    data = load(name, root, layout="nchw", **load_kw)
    _, default_val = CLASSIC_SPLITS.get(canonical(name), (None, 1000))
    if num_val is None:          # the classic split, or a tenth of a smaller training set
        num_val = min(default_val, len(data["X_train"]) // 10)
    Xtr, ytr, Xva, yva = train_val_split(data["X_train"], data["y_train"], num_val, split_seed)
    sets = {"train": to_float(Xtr, dtype, scale), "val": to_float(Xva, dtype, scale),
            "test": to_float(data["X_test"], dtype, scale)}
    labels = {"train": ytr, "val": yva, "test": data["y_test"]}
    out = {"classes": data["classes"], "source": data["source"]}
    if subtract_mean:
        mu = mean_image(sets["train"])
        sets = {k: v - mu for k, v in sets.items()}
        out["mean_image"] = mu
    if standardize:
        m, s = channel_stats(sets["train"])
        sets = {k: (v - m) / s for k, v in sets.items()}
        out["channel_mean"], out["channel_std"] = m, s
    if flat or bias_trick:
        sets = {k: flatten(v) for k, v in sets.items()}
    if bias_trick:
        sets = {k: add_bias_column(v) for k, v in sets.items()}
    for k in sets:
        out[f"X_{k}"], out[f"y_{k}"] = sets[k], labels[k]
    if dev:
        out["X_dev"], out["y_dev"] = subset(out["X_train"], out["y_train"], dev, seed=0)
    return out


def save_sample_grid(X, y, classes, path, per_class=7, seed=0):
    """The classic first look: ``per_class`` random images of each class in a column, as PNG.
    X: (N, C, H, W) or (N, H, W), any range."""
    if isinstance(per_class, (bool, np.bool_)) or not isinstance(per_class, (int, np.integer)) or per_class < 1:
        raise ValueError(f"save_sample_grid: per_class must be an integer >= 1, got {per_class!r}")
    classes = list(classes) if not isinstance(classes, str) else None
    if not classes:
        raise ValueError("save_sample_grid: classes must be a non-empty list of class names")
    X, y = np.asarray(X), np.asarray(y)
    if y.ndim != 1 or len(y) != len(X) or X.ndim not in (3, 4) or y.dtype.kind not in "iu":
        raise ValueError(f"save_sample_grid: expected X (N, C, H, W) or (N, H, W) and integer y (N,), got shapes "
                         f"{X.shape} and {y.shape} (y dtype {y.dtype})")
    outside = y[(y < 0) | (y >= len(classes))]
    if outside.size:
        raise ValueError(f"save_sample_grid: labels must lie in [0, {len(classes)}) (one per class name), "
                         f"got {int(outside[0])}")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rng = as_rng(seed)
    fig, axes = plt.subplots(per_class, len(classes), figsize=(len(classes) * 1.1, per_class * 1.1), squeeze=False)
    try:
        _draw_grid(X, y, classes, per_class, rng, fig, axes)
        fig.tight_layout()
        atomic_write(os.path.abspath(path), lambda f: fig.savefig(f, format="png", dpi=80))
    finally:
        plt.close(fig)
    return path


def _draw_grid(X, y, classes, per_class, rng, fig, axes):
    for c, cname in enumerate(classes):
        idx = np.flatnonzero(y == c)
        pick = rng.choice(idx, min(per_class, len(idx)), replace=False) if len(idx) else []
        for r in range(per_class):
            ax = axes[r, c]
            ax.axis("off")
            if r < len(pick):
                img = X[pick[r]]
                img = img.transpose(1, 2, 0) if img.ndim == 3 else img
                img = img.squeeze()
                lo, hi = float(img.min()), float(img.max())
                ax.imshow((img - lo) / (hi - lo + 1e-12), cmap="gray" if img.ndim == 2 else None)
            if r == 0:
                ax.set_title(cname, fontsize=8)
