"""Every random choice in the library takes a seed or a ``numpy.random.Generator``."""
import numpy as np


def as_rng(seed=None):
    """``seed`` itself when it is a Generator, else ``numpy.random.default_rng(seed)`` (an int, a
    list of ints such as ``[seed, epoch]``, or None for fresh entropy)."""
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
