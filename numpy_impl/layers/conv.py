"""2-D convolution (cross-correlation, as ``F.conv2d``).

x: (N, C, H, W), weight W: (F, C, kh, kw), bias b: (F,) -> out: (N, F, OH, OW) with
OH = (H + 2*pad - dilation*(kh-1) - 1) // stride + 1 (likewise OW).

``Conv2d`` uses im2col through ``sliding_window_view`` (copied once into a (C*kh*kw, N*OH*OW)
buffer, with a row of ones under it when there is a bias), one matmul that adds the bias too, and
col2im as a loop over the kh*kw kernel offsets. ``Conv2dNaive`` is the
six-loop reference the classic exercises write first.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import parallel
from ..checks import check_count, check_dim, check_flag, check_ndim, check_pair, float_dtype, weight_init
from .base import Layer
from ..rng import as_rng


def pair(v):
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))


def conv_output_size(size, k, stride, pad, dilation):
    return (size + 2 * pad - dilation * (k - 1) - 1) // stride + 1


def not_implemented_conv(name, groups, padding_mode):
    """torch's ``groups`` and ``padding_mode``: their defaults only, anything else refused by name."""
    if groups != 1:
        raise NotImplementedError(f"{name}: groups={groups!r} is not implemented here (only groups=1, "
                                  "torch's default: every output channel sees every input channel)")
    if padding_mode != "zeros":
        raise NotImplementedError(f"{name}: padding_mode={padding_mode!r} is not implemented here (only 'zeros', "
                                  "torch's default)")


def set_conv_sizes(layer, in_channels, out_channels, kernel_size, stride, padding, dilation, check=check_pair):
    """A convolution's sizes checked and set on ``layer`` (Conv2d, Conv1d, ConvTranspose2d): channels,
    kernel, stride and dilation integers >= 1, padding >= 0; ``check`` is ``check_pair`` (2-D: an
    integer or a pair) or ``check_count`` (1-D)."""
    name = type(layer).__name__
    layer.in_channels = check_count(name, "in_channels", in_channels)
    layer.out_channels = check_count(name, "out_channels", out_channels)
    layer.kernel_size, layer.stride = check(name, "kernel_size", kernel_size), check(name, "stride", stride)
    layer.padding, layer.dilation = check(name, "padding", padding, 0), check(name, "dilation", dilation)


class Conv2d(Layer):
    block_bytes = 1 << 20                           # per block of samples in the threaded copies

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True, weight_scale=1e-2, init=None, rng=None, dtype=np.float64, *, groups=1,
                 padding_mode="zeros"):
        super().__init__()
        not_implemented_conv(type(self).__name__, groups, padding_mode)
        dtype = float_dtype(type(self).__name__, dtype)
        set_conv_sizes(self, in_channels, out_channels, kernel_size, stride, padding, dilation)
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        init = weight_init(type(self).__name__, init, weight_scale)
        rng = as_rng(rng)
        W = weight_scale * rng.standard_normal(shape) if init is None else init(shape, rng=rng, dtype=dtype)
        self.params["W"] = np.asarray(W, dtype=dtype)
        self.grads["W"] = np.zeros_like(self.params["W"])
        if check_flag(type(self).__name__, "bias", bias):
            self.params["b"] = np.zeros(self.out_channels, dtype=dtype)
            self.grads["b"] = np.zeros_like(self.params["b"])

    def describe(self):
        return (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation})")

    def _check(self, x):
        x = self._input(x)
        spec = f"(N, {self.in_channels}, H, W)"
        check_ndim(self.describe(), x, (4,), spec)
        check_dim(self.describe(), x, 1, self.in_channels, spec)
        oh, ow = self._out_hw(x.shape)
        if oh < 1 or ow < 1:
            raise ValueError(f"{self.describe()}: input of shape {tuple(x.shape)} is smaller than the "
                             f"(dilated) kernel after padding; output would be {oh}x{ow}")
        return x

    def _out_hw(self, shape):
        return tuple(conv_output_size(shape[2 + i], self.kernel_size[i], self.stride[i], self.padding[i],
                                      self.dilation[i]) for i in range(2))

    def _pad(self, x):
        ph, pw = self.padding
        if ph or pw:
            return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        return x

    def forward(self, x, training=None):
        x = self._check(x)
        n = x.shape[0]
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        oh, ow = self._out_hw(x.shape)
        xp = self._pad(x)
        win = sliding_window_view(xp, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3))
        win = win[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :oh, :ow]           # (N, C, OH, OW, kh, kw)
        c, k = x.shape[1], x.shape[1] * kh * kw
        # one copy into a reused (C, kh, kw, N, OH, OW) column buffer, samples spread over threads;
        # with a bias, one more row of ones: the matmul adds the bias, and backward's weight-gradient
        # matmul sums dout into the bias gradient on the way
        cols = self._scratch("cols", (k + ("b" in self.params), n * oh * ow), x.dtype)
        cols6 = cols[:k].reshape(c, kh, kw, n, oh, ow)
        src = win.transpose(1, 4, 5, 0, 2, 3)
        parallel.over_rows(lambda b: np.copyto(cols6[:, :, :, b], src[:, :, :, b]), np.moveaxis(cols6, 3, 0),
                           self.block_bytes)
        W = self.params["W"].astype(x.dtype, copy=False).reshape(self.out_channels, k)
        if "b" in self.params:
            cols[k] = 1
            W = np.concatenate([W, self.params["b"].astype(x.dtype, copy=False)[:, None]], axis=1)
        prod = np.matmul(W, cols, out=self._scratch("prod", (self.out_channels, cols.shape[1]), x.dtype))
        prod = prod.reshape(self.out_channels, n, oh, ow).transpose(1, 0, 2, 3)
        out = np.empty(prod.shape, dtype=x.dtype)
        parallel.over_rows(lambda b: np.copyto(out[b], prod[b]), out, self.block_bytes)   # (F, N, ..) -> (N, F, ..)
        self._cache = (x.shape, xp.shape, cols)
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout, input_grad=True):
        """``input_grad=False`` fills ``grads`` only and returns None (the first layer of a model)."""
        dout = self._dout(dout)
        x_shape, xp_shape, cols = self._cache
        n, c = x_shape[:2]
        (kh, kw), (sh, sw), (dh, dw), (ph, pw) = self.kernel_size, self.stride, self.dilation, self.padding
        oh, ow = dout.shape[2:]
        d4 = self._scratch("dout", (self.out_channels, n, oh, ow), dout.dtype)   # (F, N, OH, OW)
        parallel.over_rows(lambda b: np.copyto(d4[:, b], dout[b].transpose(1, 0, 2, 3)), dout, self.block_bytes)
        d2 = d4.reshape(self.out_channels, -1)                            # (F, N*OH*OW)
        k = c * kh * kw
        grad = d2 @ cols.T                          # (F, C*kh*kw), then the bias gradient's column
        self._set_grad("W", grad[:, :k].copy().reshape(self.params["W"].shape))
        if "b" in self.params:
            self._set_grad("b", grad[:, k].copy())
        if not input_grad:
            return None
        W = self.params["W"].astype(dout.dtype, copy=False)
        dcols = np.matmul(W.reshape(self.out_channels, k).T, d2,
                          out=self._scratch("dcols", (k, d2.shape[1]), dout.dtype))
        dcols = dcols.reshape(c, kh, kw, n, oh, ow)
        # col2im in the columns' own (C, N, H, W) order, so each addition walks both arrays in step,
        # samples spread over threads; one transposing copy at the end (which also drops the padding)
        dxp = self._scratch("dxp", (c, n) + xp_shape[2:], dout.dtype)

        def col2im(b):
            dxp[:, b] = 0
            for i in range(kh):
                for j in range(kw):
                    r, s = i * dh, j * dw
                    dxp[:, b, r:r + sh * (oh - 1) + 1:sh, s:s + sw * (ow - 1) + 1:sw] += dcols[:, i, j, b]

        parallel.over_rows(col2im, np.moveaxis(dxp, 1, 0), self.block_bytes)
        dx = np.empty(x_shape, dtype=dout.dtype)
        inner = dxp[:, :, ph:ph + x_shape[2], pw:pw + x_shape[3]].transpose(1, 0, 2, 3)
        parallel.over_rows(lambda b: np.copyto(dx[b], inner[b]), dx, self.block_bytes)
        return dx


class Conv2dNaive(Conv2d):
    """The loop-over-everything reference: same interface and results as ``Conv2d``, slow."""

    def forward(self, x, training=None):
        x = self._check(x)
        n = x.shape[0]
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        oh, ow = self._out_hw(x.shape)
        xp = self._pad(x)
        W = self.params["W"].astype(x.dtype, copy=False)
        out = np.zeros((n, self.out_channels, oh, ow), dtype=x.dtype)
        for i in range(n):
            for f in range(self.out_channels):
                for r in range(oh):
                    for s in range(ow):
                        patch = xp[i, :, r * sh:r * sh + (kh - 1) * dh + 1:dh, s * sw:s * sw + (kw - 1) * dw + 1:dw]
                        out[i, f, r, s] = np.sum(patch * W[f])
        if "b" in self.params:
            out += self.params["b"].astype(x.dtype, copy=False)[None, :, None, None]
        self._cache = (x.shape, xp)
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        x_shape, xp = self._cache
        (kh, kw), (sh, sw), (dh, dw), (ph, pw) = self.kernel_size, self.stride, self.dilation, self.padding
        W = self.params["W"].astype(dout.dtype, copy=False)
        dW = np.zeros_like(W)
        dxp = np.zeros_like(xp)
        n, _, oh, ow = dout.shape
        for i in range(n):
            for f in range(self.out_channels):
                for r in range(oh):
                    for s in range(ow):
                        sl = (i, slice(None), slice(r * sh, r * sh + (kh - 1) * dh + 1, dh),
                              slice(s * sw, s * sw + (kw - 1) * dw + 1, dw))
                        dW[f] += dout[i, f, r, s] * xp[sl]
                        dxp[sl] += dout[i, f, r, s] * W[f]
        self._set_grad("W", dW)
        if "b" in self.params:
            self._set_grad("b", dout.sum(axis=(0, 2, 3)))
        return dxp[:, :, ph:ph + x_shape[2], pw:pw + x_shape[3]].copy()
