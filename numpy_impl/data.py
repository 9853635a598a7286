"""The minibatch iterator shared by the NumPy trainer and the torch mirror (same batches, same order)."""
import numpy as np

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
    batch_size = _count("minibatches", "batch_size", batch_size, 1)
    start = _count("minibatches", "start", start, 0)
    order = as_rng(seed, "minibatches").permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for i in range(start * batch_size, stop, batch_size):
        idx = order[i:i + batch_size]
        yield X[idx], y[idx]


def _count(component, name, value, least):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < least:
        raise ValueError(f"{component}: {name} must be an integer >= {least}, got {value!r}")
    return int(value)


def num_batches(n, batch_size, drop_last=False):
    n, batch_size = _count("num_batches", "n", n, 0), _count("num_batches", "batch_size", batch_size, 1)
    return n // batch_size if drop_last else -(-n // batch_size)
