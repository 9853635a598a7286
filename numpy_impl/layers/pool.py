"""2-D max and average pooling. x: (N, C, H, W) -> out: (N, C, OH, OW),
OH = (H + 2*pad - kh) // stride + 1 (floor mode, as torch's default).

Both work on the kh*kw strided slices of the padded input (no im2col): forward combines the slices
with ``np.maximum`` / a sum, backward routes the gradient back slice by slice.
"""
import numpy as np

from .. import parallel
from ..checks import check_flag, check_ndim, check_pair
from .base import Layer


class _Pool2d(Layer):
    pad_value = 0.0

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = check_pair(name, "kernel_size", kernel_size)
        self.stride = check_pair(name, "stride", stride) if stride is not None else self.kernel_size
        self.padding = check_pair(name, "padding", padding, 0)
        if any(p > k // 2 for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(f"{self.describe()}: padding must be at most half the kernel size, "
                             f"got padding={self.padding} for kernel_size={self.kernel_size}")

    def describe(self):
        return (f"{type(self).__name__}(kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding})")

    def _prepare(self, x):
        x = self._input(x)
        check_ndim(self.describe(), x, (4,), "(N, C, H, W)")
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        oh, ow = (x.shape[2] + 2 * ph - kh) // sh + 1, (x.shape[3] + 2 * pw - kw) // sw + 1
        if oh < 1 or ow < 1:
            raise ValueError(f"{self.describe()}: input of shape {tuple(x.shape)} is smaller than the kernel")
        if ph or pw:
            x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=self.pad_value)
        return x, oh, ow

    def _slices(self, oh, ow):
        """The (i, j) kernel offset and the matching strided index into the padded input, row-major."""
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        for i in range(kh):
            for j in range(kw):
                yield (slice(None), slice(None), slice(i, i + sh * (oh - 1) + 1, sh),
                       slice(j, j + sw * (ow - 1) + 1, sw))

    def _crop(self, dxp, shape):
        (ph, pw) = self.padding
        if ph or pw:
            return dxp[:, :, ph:ph + shape[2] - 2 * ph, pw:pw + shape[3] - 2 * pw].copy()
        return dxp


class MaxPool2d(_Pool2d):
    """Max pooling; padding is -inf (as torch). A tied maximum sends its whole gradient to the
    first maximum in row-major window order, as torch does on the CPU.

    Forward also records, per output, which kernel offset won (``idx``: the number of offsets before
    the first one equal to the max), so backward never reads the input again. Both passes work on
    blocks of samples of about 1 MB, so each block's slices are re-read from cache, not memory: a
    cache-blocking loop over the batch, vectorised within each block."""

    pad_value = -np.inf
    block_bytes = 1 << 20

    def forward(self, x, training=None):
        xp, oh, ow = self._prepare(x)
        slices = list(self._slices(oh, ow))
        out = np.empty(xp.shape[:2] + (oh, ow), dtype=xp.dtype)
        idx = np.zeros(out.shape, dtype=np.min_scalar_type(len(slices)))
        padded = any(self.padding)
        first_real = self._first_real(xp.shape, oh, ow) if padded else None
        def block(b):
            xb, ob, ib = xp[b], out[b], idx[b]
            if len(slices) == 1:
                np.copyto(ob, xb[slices[0]])
            else:
                np.maximum(xb[slices[0]], xb[slices[1]], out=ob)
            for sl in slices[2:]:
                np.maximum(ob, xb[sl], out=ob)
            # idx = how many offsets come before the first maximum (leading non-maxima)
            leading, differs = np.ones(ob.shape, dtype=bool), np.empty(ob.shape, dtype=bool)
            for sl in slices[:-1]:
                np.not_equal(xb[sl], ob, out=differs)
                leading &= differs
                ib += leading
            if padded:                       # an all -inf window: torch picks its first real element, never the padding
                neg = ob == -np.inf
                if neg.any():
                    np.copyto(ib, first_real, where=neg, casting="unsafe")
            if np.isnan(ob).any():           # torch routes a NaN window's gradient to its last NaN
                for k, sl in enumerate(slices):
                    np.copyto(ib, k, where=np.isnan(xb[sl]))

        parallel.over_rows(block, xp, self.block_bytes)
        self._cache = (xp.shape, idx)
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def _first_real(self, padded_shape, oh, ow):
        """Per output position, the first kernel offset (row-major) on a real, unpadded element."""
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        rows, cols = np.arange(oh) * sh, np.arange(ow) * sw
        hp, wp = padded_shape[2:]
        valid = np.stack([((rows + i >= ph) & (rows + i < hp - ph))[:, None]
                          & ((cols + j >= pw) & (cols + j < wp - pw))[None, :]
                          for i in range(kh) for j in range(kw)])
        return valid.argmax(axis=0)

    def backward(self, dout):
        dout = self._dout(dout)
        xp_shape, idx = self._cache
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        oh, ow = idx.shape[2:]
        slices = list(self._slices(oh, ow))
        disjoint = sh >= kh and sw >= kw
        exact = disjoint and (sh, sw) == (kh, kw) and xp_shape[2] == kh * oh and xp_shape[3] == kw * ow
        # windows that tile the input exactly write every element once: no zero fill needed
        dxp = (np.empty if exact else np.zeros)(xp_shape, dtype=dout.dtype)
        def block(b):
            ib, db, gb = idx[b], dxp[b], dout[b]
            hit = np.empty(ib.shape, dtype=bool)
            finite = bool(np.isfinite(gb).all())    # else 0 * inf = NaN would reach every element of the window
            for k, sl in enumerate(slices):
                np.equal(ib, k, out=hit)
                if not finite:
                    part = np.where(hit, gb, 0)
                    if disjoint:
                        db[sl] = part
                    else:
                        db[sl] += part
                elif disjoint:
                    np.multiply(hit, gb, out=db[sl])
                else:
                    db[sl] += hit * gb

        parallel.over_rows(block, dxp, self.block_bytes)
        return self._crop(dxp, xp_shape)


class AvgPool2d(_Pool2d):
    """Average pooling with zero padding. ``count_include_pad=True`` (torch's default) divides by
    kh*kw everywhere; ``False`` divides by the number of real (unpadded) elements in each window."""

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = check_flag(type(self).__name__, "count_include_pad", count_include_pad)

    def _divisor(self, xp_shape, oh, ow, dtype):
        kh, kw = self.kernel_size
        if self.count_include_pad or not any(self.padding):
            return dtype.type(kh * kw)
        ph, pw = self.padding
        ones = np.zeros(xp_shape[2:], dtype=dtype)
        ones[ph:xp_shape[2] - ph, pw:xp_shape[3] - pw] = 1
        return sum(ones[sl[2:]] for sl in self._slices(oh, ow))

    def forward(self, x, training=None):
        xp, oh, ow = self._prepare(x)
        div = self._divisor(xp.shape, oh, ow, xp.dtype)
        total = sum(xp[sl] for sl in self._slices(oh, ow))
        out = total / div
        self._cache = (xp.shape, div)
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        xp_shape, div = self._cache
        share = dout / div
        dxp = np.zeros(xp_shape, dtype=dout.dtype)
        for sl in self._slices(*dout.shape[2:]):
            dxp[sl] += share
        return self._crop(dxp, xp_shape)
