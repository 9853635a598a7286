"""2-D max and average pooling. x: (N, C, H, W) -> out: (N, C, OH, OW),
OH = (H + 2*pad - dilation*(kh - 1) - 1) // stride + 1 (floor mode, as torch's default). With
``ceil_mode=True`` the division rounds up, as torch's: the last window may run past the padded
input (never starting past the input and its left padding) and its overrun is left out.

Both work on the kh*kw strided slices of the padded input (no im2col): forward combines the slices
with ``np.maximum`` / a sum, backward routes the gradient back slice by slice.
"""
import numpy as np

from .. import parallel
from ..checks import check_count, check_flag, check_ndim, check_pair
from .base import Layer


def _out_size(n, window, stride, pad, ceil):
    """torch's pooling output length: the windows of ``window`` elements, ``stride`` apart, in ``n``
    elements padded by ``pad`` each side; ``ceil`` rounds up, but no window starts in the right padding."""
    span = n + 2 * pad - window                 # may be negative: in ceil mode one window still fits
    out = (span + (stride - 1 if ceil else 0)) // stride + 1
    if ceil and (out - 1) * stride >= n + pad:
        out -= 1
    return max(out, 0)


class _Pool2d(Layer):
    pad_value = 0.0

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = check_pair(name, "kernel_size", kernel_size)
        self.stride = check_pair(name, "stride", stride) if stride is not None else self.kernel_size
        self.padding = check_pair(name, "padding", padding, 0)
        self.dilation = check_pair(name, "dilation", dilation)
        self.ceil_mode = check_flag(name, "ceil_mode", ceil_mode)
        if any(p > k // 2 for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(f"{self.describe()}: padding must be at most half the kernel size, "
                             f"got padding={self.padding} for kernel_size={self.kernel_size}")

    def describe(self):
        extra = (f", dilation={self.dilation}" if self.dilation != (1, 1) else "") + \
                (", ceil_mode=True" if self.ceil_mode else "")
        return (f"{type(self).__name__}(kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}{extra})")

    def _windows(self):
        """The span of one window in the input (dilation*(k - 1) + 1), per axis."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation))

    def _prepare(self, x):
        x = self._input(x)
        check_ndim(self.describe(), x, (4,), "(N, C, H, W)")
        (eh, ew), (sh, sw), (ph, pw) = self._windows(), self.stride, self.padding
        oh = _out_size(x.shape[2], eh, sh, ph, self.ceil_mode)
        ow = _out_size(x.shape[3], ew, sw, pw, self.ceil_mode)
        if oh < 1 or ow < 1:
            raise ValueError(f"{self.describe()}: input of shape {tuple(x.shape)} is smaller than the kernel")
        # ceil mode: the last window's overrun past the padded input, padded too (and left out of averages)
        over_h = max(0, (oh - 1) * sh + eh - x.shape[2] - 2 * ph)
        over_w = max(0, (ow - 1) * sw + ew - x.shape[3] - 2 * pw)
        if ph or pw or over_h or over_w:
            xp = np.pad(x, ((0, 0), (0, 0), (ph, ph + over_h), (pw, pw + over_w)), constant_values=self.pad_value)
            return x.shape, xp, oh, ow
        return x.shape, x, oh, ow

    def _slices(self, oh, ow):
        """The (i, j) kernel offset and the matching strided index into the padded input, row-major."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        for i in range(kh):
            for j in range(kw):
                yield (slice(None), slice(None), slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                       slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))

    def _crop(self, dxp, shape):
        """The input's part of the padded input's gradient; ``shape`` is the input's."""
        (ph, pw) = self.padding
        if dxp.shape != tuple(shape):
            return dxp[:, :, ph:ph + shape[2], pw:pw + shape[3]].copy()
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

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__(kernel_size, stride, padding, dilation, ceil_mode)
        if check_flag(type(self).__name__, "return_indices", return_indices):
            raise ValueError(f"{self.describe()}: return_indices=True is not implemented: forward returns the "
                             f"output alone (torch's (output, indices) pair is for MaxUnpool2d, which this library "
                             f"does not have)")

    def forward(self, x, training=None):
        shape, xp, oh, ow = self._prepare(x)
        slices = list(self._slices(oh, ow))
        out = np.empty(xp.shape[:2] + (oh, ow), dtype=xp.dtype)
        idx = np.zeros(out.shape, dtype=np.min_scalar_type(len(slices)))
        padded = xp.shape != shape
        first_real = self._first_real(shape, oh, ow) if padded else None
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
        self._cache = (shape, xp.shape, idx)
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def _first_real(self, shape, oh, ow):
        """Per output position, the first kernel offset (row-major) on a real, unpadded element;
        ``shape`` is the input's."""
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = self.kernel_size, self.stride, self.padding, self.dilation
        rows, cols = np.arange(oh) * sh, np.arange(ow) * sw
        h, w = shape[2:]
        valid = np.stack([((rows + i * dh >= ph) & (rows + i * dh < ph + h))[:, None]
                          & ((cols + j * dw >= pw) & (cols + j * dw < pw + w))[None, :]
                          for i in range(kh) for j in range(kw)])
        return valid.argmax(axis=0)

    def backward(self, dout):
        dout = self._dout(dout)
        shape, xp_shape, idx = self._cache
        (kh, kw), (sh, sw), (eh, ew) = self.kernel_size, self.stride, self._windows()
        oh, ow = idx.shape[2:]
        slices = list(self._slices(oh, ow))
        disjoint = sh >= eh and sw >= ew
        exact = disjoint and (sh, sw) == (kh, kw) == (eh, ew) and xp_shape[2] == kh * oh and xp_shape[3] == kw * ow
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
        return self._crop(dxp, shape)


class AvgPool2d(_Pool2d):
    """Average pooling with zero padding, torch's arguments in torch's order. ``count_include_pad=True``
    (torch's default) divides by kh*kw (in ceil mode, by the part of the window inside the padded
    input); ``False`` divides by the number of real (unpadded) elements in each window;
    ``divisor_override`` divides every window by that number."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode=ceil_mode)
        name = type(self).__name__
        self.count_include_pad = check_flag(name, "count_include_pad", count_include_pad)
        self.divisor_override = None if divisor_override is None else check_count(name, "divisor_override",
                                                                                   divisor_override)

    def describe(self):
        extra = (", count_include_pad=False" if not self.count_include_pad else "") + \
                (f", divisor_override={self.divisor_override}" if self.divisor_override is not None else "")
        return super().describe()[:-1] + extra + ")"

    def _divisor(self, shape, xp_shape, oh, ow, dtype):
        """Per output position (or one number), what its window's sum is divided by; ``shape`` is the
        input's, ``xp_shape`` the padded input's."""
        kh, kw = self.kernel_size
        if self.divisor_override is not None:
            return dtype.type(self.divisor_override)
        ph, pw = self.padding
        overrun = xp_shape[2] > shape[2] + 2 * ph or xp_shape[3] > shape[3] + 2 * pw
        if (self.count_include_pad or not any(self.padding)) and not overrun:
            return dtype.type(kh * kw)
        counted = np.zeros(xp_shape[2:], dtype=dtype)
        if self.count_include_pad:
            counted[:shape[2] + 2 * ph, :shape[3] + 2 * pw] = 1
        else:
            counted[ph:ph + shape[2], pw:pw + shape[3]] = 1
        return sum(counted[sl[2:]] for sl in self._slices(oh, ow))

    def forward(self, x, training=None):
        shape, xp, oh, ow = self._prepare(x)
        div = self._divisor(shape, xp.shape, oh, ow, xp.dtype)
        total = sum(xp[sl] for sl in self._slices(oh, ow))
        out = total / div
        self._cache = (shape, xp.shape, div)
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        shape, xp_shape, div = self._cache
        share = dout / div
        dxp = np.zeros(xp_shape, dtype=dout.dtype)
        for sl in self._slices(*dout.shape[2:]):
            dxp[sl] += share
        return self._crop(dxp, shape)
