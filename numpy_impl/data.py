"""The minibatch iterator shared by the NumPy trainer and the torch mirror (same batches, same order)."""
import numpy as np

from .rng import as_rng


def minibatches(X, y, batch_size, shuffle=True, seed=None, drop_last=False, start=0):
    """Yield ``(X_batch, y_batch)``; seeded shuffling (a Generator or an int); the last partial batch
    is kept unless ``drop_last``. Index arrays are drawn once per call (one epoch). ``start`` skips
    the first ``start`` batches of that same order (how a resumed run picks up mid-epoch)."""
    n = len(X)
    if len(y) != n:
        raise ValueError(f"minibatches: X has {n} samples, y has {len(y)}")
    if batch_size < 1:
        raise ValueError(f"minibatches: batch_size must be >= 1, got {batch_size}")
    order = as_rng(seed).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for i in range(start * batch_size, stop, batch_size):
        idx = order[i:i + batch_size]
        yield X[idx], y[idx]


def num_batches(n, batch_size, drop_last=False):
    return n // batch_size if drop_last else -(-n // batch_size)
