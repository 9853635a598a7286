"""The minibatch iterator shared by the NumPy trainer and the torch mirror (same batches, same order)."""
import numpy as np

from .checks import check_count, check_flag
from .rng import as_rng


def minibatches(X, y, batch_size, shuffle=True, seed=None, drop_last=False, start=0):
    """Yield ``(X_batch, y_batch)``; seeded shuffling (a Generator or an int); the last partial batch
    is kept unless ``drop_last``. Index arrays are drawn once per call (one epoch). ``start`` skips
    the first ``start`` batches of that same order (how a resumed run picks up mid-epoch)."""
    X, y = np.asarray(X), np.asarray(y)             # fancy indexing below needs arrays
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(f"minibatches: expected X (N, ...) and y (N, ...), got shapes {X.shape} and {y.shape}")
    n = len(X)
    if len(y) != n:
        raise ValueError(f"minibatches: X has {n} samples, y has {len(y)}")
    batch_size = check_count("minibatches", "batch_size", batch_size, 1)
    start = check_count("minibatches", "start", start, 0)
    shuffle, drop_last = check_flag("minibatches", "shuffle", shuffle), check_flag("minibatches", "drop_last", drop_last)
    order = as_rng(seed, "minibatches").permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for i in range(start * batch_size, stop, batch_size):
        idx = order[i:i + batch_size]
        yield X[idx], y[idx]


def num_batches(n, batch_size, drop_last=False):
    n, batch_size = check_count("num_batches", "n", n, 0), check_count("num_batches", "batch_size", batch_size, 1)
    return n // batch_size if drop_last else -(-n // batch_size)
