"""AdaptiveAvgPool2d, GlobalAvgPool2d and nearest-neighbour Upsample.

AdaptiveAvgPool2d: x (N, C, H, W) -> (N, C, OH, OW). Output row i averages input rows
[floor(i*H/OH), ceil((i+1)*H/OH)) (torch's start/end formula: windows overlap or differ in size
when OH does not divide H, and OH > H is allowed); likewise the columns. Written as two averaging
matrices, ``out = A_h @ x @ A_w.T``, so backward is ``A_h.T @ dout @ A_w``.

GlobalAvgPool2d: x (N, C, H, W) -> (N, C), the mean over (H, W) (torch: AdaptiveAvgPool2d(1) then
Flatten).

Upsample (mode 'nearest', integer scale factors): x (N, C, H, W) -> (N, C, H*sh, W*sw), each value
repeated; backward sums each sh x sw block.
"""
import numpy as np

from ..checks import check_count, check_ndim
from .base import Layer
from .conv import pair


def adaptive_windows(size, out):
    """torch's adaptive pooling windows: [start, end) for each of the ``out`` outputs."""
    starts = [(i * size) // out for i in range(out)]
    ends = [-((-(i + 1) * size) // out) for i in range(out)]
    return list(zip(starts, ends))


def _averaging_matrix(size, out, dtype):
    A = np.zeros((out, size), dtype=np.float64)
    for i, (s, e) in enumerate(adaptive_windows(size, out)):
        A[i, s:e] = 1.0 / (e - s)
    return A.astype(dtype)


class AdaptiveAvgPool2d(Layer):
    def __init__(self, output_size):
        super().__init__()
        if output_size is None or np.isscalar(output_size):
            output_size = (output_size, output_size)
        if not isinstance(output_size, (tuple, list)) or len(output_size) != 2:
            raise ValueError(f"AdaptiveAvgPool2d: output_size must be one size or a pair (H, W), each an int >= 1 "
                             f"or None, got {output_size!r}")
        self.output_size = tuple(None if s is None else check_count("AdaptiveAvgPool2d", "output_size", s)
                                 for s in output_size)

    def describe(self):
        return f"AdaptiveAvgPool2d({self.output_size})"

    def forward(self, x, training=None):
        x = self._input(x)
        check_ndim(self.describe(), x, (4,), "(N, C, H, W)")
        h, w = x.shape[2:]
        oh, ow = (h if self.output_size[0] is None else self.output_size[0],
                  w if self.output_size[1] is None else self.output_size[1])
        if h == 0 or w == 0:
            raise ValueError(f"{self.describe()}: expected a non-empty image, got shape {tuple(x.shape)}")
        Ah, Aw = _averaging_matrix(h, oh, x.dtype), _averaging_matrix(w, ow, x.dtype)
        out = Ah @ x @ Aw.T
        self._cache = (Ah, Aw)
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        Ah, Aw = self._cache
        return Ah.T.astype(dout.dtype, copy=False) @ dout @ Aw.astype(dout.dtype, copy=False)


class GlobalAvgPool2d(Layer):
    def describe(self):
        return "GlobalAvgPool2d"

    def forward(self, x, training=None):
        x = self._input(x)
        check_ndim(self.describe(), x, (4,), "(N, C, H, W)")
        if x.shape[2] * x.shape[3] == 0:
            raise ValueError(f"{self.describe()}: expected a non-empty image, got shape {tuple(x.shape)}")
        out = x.mean(axis=(2, 3))
        self._cache = x.shape
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        n, c, h, w = self._cache
        return np.broadcast_to((dout / dout.dtype.type(h * w))[:, :, None, None], self._cache).copy()


class Upsample(Layer):
    def __init__(self, scale_factor=2, mode="nearest"):
        super().__init__()
        if mode != "nearest":
            raise ValueError(f"Upsample: only mode='nearest' is implemented, got {mode!r}")
        sf = (scale_factor, scale_factor) if np.ndim(scale_factor) == 0 else tuple(np.ravel(scale_factor).tolist())
        sf = tuple(s.item() if isinstance(s, np.ndarray) else s for s in sf)      # np.array(2) is 2
        real = all(isinstance(s, (int, float, np.integer, np.floating)) and not isinstance(s, bool) for s in sf)
        if len(sf) != 2 or not real or any(not np.isfinite(s) or float(s) != int(s) or int(s) < 1 for s in sf):
            raise ValueError(f"Upsample: scale_factor must be a positive integer or a pair of them, got {scale_factor!r}")
        self.scale_factor, self.mode = pair(sf), mode

    def describe(self):
        return f"Upsample(scale_factor={self.scale_factor}, mode='nearest')"

    def forward(self, x, training=None):
        x = self._input(x)
        check_ndim(self.describe(), x, (4,), "(N, C, H, W)")
        sh, sw = self.scale_factor
        out = np.repeat(np.repeat(x, sh, axis=2), sw, axis=3)
        self._cache = x.shape
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        n, c, h, w = self._cache
        sh, sw = self.scale_factor
        return dout.reshape(n, c, h, sh, w, sw).sum(axis=(3, 5))
