"""Dropout. x: any shape -> out: same shape.

Inverted (default, as ``nn.Dropout``): training ``x * mask / (1 - p)``, eval ``x``.
Classic (``inverted=False``): training ``x * mask``, eval ``x * (1 - p)``.
``mask`` is a boolean keep-mask drawn with probability ``1 - p`` from the layer's
``numpy.random.Generator``; ``set_mask`` injects the mask for the next training forward (how the
parity suite shares torch's mask), and ``self.mask`` holds the last one used.
"""
import numpy as np

from ..checks import check_flag, check_mask, check_shape
from .base import Layer
from ..rng import as_rng


class Dropout(Layer):
    def __init__(self, p=0.5, rng=None, inverted=True):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) or not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must lie in [0, 1], got {p!r}")
        self.p, self.inverted = float(p), check_flag(type(self).__name__, "inverted", inverted)
        self.rng = as_rng(rng, "Dropout", "rng")
        self.mask = None
        self._next_mask = None

    def describe(self):
        return f"Dropout(p={self.p}{'' if self.inverted else ', inverted=False'})"

    def set_mask(self, mask):
        """Use this boolean keep-mask for the next training forward."""
        self._next_mask = check_mask(self.describe() + ".set_mask", mask)

    def _scale(self, dtype):
        if not self.inverted:
            return dtype.type(1)
        return dtype.type(0) if self.p == 1 else dtype.type(1) / dtype.type(1 - self.p)

    def forward(self, x, training=None):
        x = self._input(x)
        self._out_shape, self._out_dtype = x.shape, x.dtype
        if not self._mode(training):
            self._cache = ("eval", x.dtype)
            return x.copy() if self.inverted else x * x.dtype.type(1 - self.p)
        if self._next_mask is not None:
            mask = check_shape(self.describe(), self._next_mask.astype(x.dtype), x.shape, "mask")
            self._next_mask = None
            self.mask = mask.astype(bool)
        else:
            self.mask = self.rng.random(x.shape) >= self.p
            mask = self.mask.astype(x.dtype)
        scaled = mask
        scaled *= self._scale(x.dtype)                  # in place: ``mask`` is a fresh array
        self._cache = ("train", scaled)
        return x * scaled

    def backward(self, dout):
        dout = self._dout(dout)
        mode, data = self._cache
        if mode == "train":
            return dout * data
        return dout.copy() if self.inverted else dout * dout.dtype.type(1 - self.p)
