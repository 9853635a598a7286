"""Every random choice in the library takes a seed or a ``numpy.random.Generator``."""
import numpy as np


def as_rng(seed=None, component=None, what="seed"):
    """``seed`` itself when it is a Generator, else ``numpy.random.default_rng(seed)`` (an int, a
    list of ints such as ``[seed, epoch]``, or None for fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError):                 # a negative int, a float, a string...
        raise ValueError(f"{component + ': ' if component else ''}{what} must be None, an integer >= 0, a list of "
                         f"them or a numpy Generator, got {seed!r}") from None
