"""Row-wise work the fastest way NumPy has it: reductions along the last axis (one result per row)
and broadcasts along long rows.

``rowsum(a)`` is ``a.sum(axis=-1)`` and ``rowdot(a, b)`` is ``(a * b).sum(axis=-1)`` without the
product array. Both run as one BLAS dot per row, 1.6x (float64) to 2.5x (float32) faster than
NumPy's own reduction over the short rows (256 to 1000 values) of the norm layers and the softmax.
A row's result does not depend on the other rows, so blocks of rows may be reduced in any split.
"""
import numpy as np


def rowdot(a, b):
    """(..., D), (..., D) or (D,) -> (...): ``sum(a * b)`` over the last axis."""
    return np.vecdot(a, b) if hasattr(np, "vecdot") else np.einsum("...i,...i->...", a, b)


def rowsum(a):
    """(..., D) -> (...): ``a.sum(axis=-1)``."""
    return rowdot(a, np.ones(a.shape[-1], dtype=a.dtype))


# NumPy (2.x) runs ``a * s[:, None]`` and ``a * v`` over rows shorter than its ufunc buffer (8192
# elements) through that buffer, which costs more than the product itself. Measured on 1 MB
# blocks (AMD EPYC, AVX2): 62-68 us buffered against 39-47 us straight along rows of 3-8 KB, for
# float64 and float32. Rows of 2 KB gained in isolation but not inside LayerNorm (256 float64), and
# rows of 1 KB or less run slower straight (one inner call per row): hence the threshold.
UNBUFFERED_ROW_BYTES = 3072


class unbuffered:
    """``with unbuffered(a, *others):`` runs the row and column broadcasts inside straight along the
    rows of ``a`` (its last axis) when they are at least ``UNBUFFERED_ROW_BYTES`` long, by shrinking
    NumPy's ufunc buffer for this thread until the block ends. Results are the same bits (the same
    arithmetic, another order of iteration). ``others``, the other operands: if any has another
    dtype, NumPy must cast through the buffer, which a tiny one makes 2-3x slower, so the buffer is
    left alone. Keep reductions outside: they run slower unbuffered."""
    __slots__ = ("on", "before")

    def __init__(self, a, *others):
        self.on = a.shape[-1] * a.itemsize >= UNBUFFERED_ROW_BYTES and all(o.dtype == a.dtype for o in others)

    def __enter__(self):
        if self.on:
            self.before = np.setbufsize(16)
        return self

    def __exit__(self, *exc):
        if self.on:
            np.setbufsize(self.before)
