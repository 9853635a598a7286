"""Conv1d and ConvTranspose2d (torch's layouts and output sizes).

Conv1d: x (N, C, L), W (F, C, k), b (F,) -> out (N, F, OL),
OL = (L + 2*pad - dilation*(k-1) - 1) // stride + 1. im2col through ``sliding_window_view``, one
matmul; col2im as a loop over the k kernel offsets.

ConvTranspose2d (the gradient of a convolution with respect to its input, used to upsample):
x (N, C_in, H, W), W (C_in, C_out, kh, kw) (torch's layout), b (C_out,) -> out (N, C_out, OH, OW),
OH = (H - 1)*stride - 2*pad + dilation*(kh - 1) + output_padding + 1. Forward scatters
``W^T x`` into the output one kernel offset at a time; backward gathers with the same windows as a
convolution. ``output_padding`` (< stride or dilation, as torch) adds rows/columns at the bottom
and right.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..checks import check_count, check_dim, check_flag, check_ndim, check_pair, float_dtype, weight_init
from ..rng import as_rng
from .base import Layer
from .conv import not_implemented_conv, set_conv_sizes


class Conv1d(Layer):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, bias=True,
                 weight_scale=1e-2, rng=None, dtype=np.float64, *, groups=1, padding_mode="zeros"):
        super().__init__()
        not_implemented_conv(type(self).__name__, groups, padding_mode)
        dtype = float_dtype(type(self).__name__, dtype)
        set_conv_sizes(self, in_channels, out_channels, kernel_size, stride, padding, dilation, check=check_count)
        weight_init(type(self).__name__, None, weight_scale)
        rng = as_rng(rng)
        self.params["W"] = np.asarray(weight_scale * rng.standard_normal(
            (self.out_channels, self.in_channels, self.kernel_size)), dtype=dtype)
        if check_flag(type(self).__name__, "bias", bias):
            self.params["b"] = np.zeros(self.out_channels, dtype=dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def describe(self):
        return (f"Conv1d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation})")

    def forward(self, x, training=None):
        x = self._input(x)
        spec = f"(N, {self.in_channels}, L)"
        check_ndim(self.describe(), x, (3,), spec)
        check_dim(self.describe(), x, 1, self.in_channels, spec)
        k, s, p, d = self.kernel_size, self.stride, self.padding, self.dilation
        n, length = x.shape[0], x.shape[2]
        ol = (length + 2 * p - d * (k - 1) - 1) // s + 1
        if ol < 1:
            raise ValueError(f"{self.describe()}: input of shape {tuple(x.shape)} is shorter than the (dilated) "
                             f"kernel after padding; output length would be {ol}")
        xp = np.pad(x, ((0, 0), (0, 0), (p, p))) if p else x
        win = sliding_window_view(xp, (k - 1) * d + 1, axis=2)[:, :, ::s, ::d][:, :, :ol]   # (N, C, OL, k)
        cols = win.transpose(1, 3, 0, 2).reshape(self.in_channels * k, n * ol)
        W = self.params["W"].astype(x.dtype, copy=False)
        out = (W.reshape(self.out_channels, -1) @ cols).reshape(self.out_channels, n, ol).transpose(1, 0, 2)
        out = out + self.params["b"].astype(x.dtype, copy=False)[:, None] if "b" in self.params \
            else np.ascontiguousarray(out)
        self._cache = (x.shape, xp.shape, cols)
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        x_shape, xp_shape, cols = self._cache
        n, c = x_shape[:2]
        k, s, p, d = self.kernel_size, self.stride, self.padding, self.dilation
        ol = dout.shape[2]
        d2 = dout.transpose(1, 0, 2).reshape(self.out_channels, -1)          # (F, N*OL)
        self._set_grad("W", (d2 @ cols.T).reshape(self.params["W"].shape))
        if "b" in self.params:
            self._set_grad("b", dout.sum(axis=(0, 2)))
        W = self.params["W"].astype(dout.dtype, copy=False)
        dcols = (W.reshape(self.out_channels, -1).T @ d2).reshape(c, k, n, ol)
        dxp = np.zeros((n, c, xp_shape[2]), dtype=dout.dtype)
        for j in range(k):
            dxp[:, :, j * d:j * d + s * (ol - 1) + 1:s] += dcols[:, j].transpose(1, 0, 2)
        return dxp[:, :, p:p + x_shape[2]].copy() if p else dxp


class ConvTranspose2d(Layer):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, dilation=1,
                 bias=True, weight_scale=1e-2, rng=None, dtype=np.float64, *, groups=1, padding_mode="zeros"):
        super().__init__()
        not_implemented_conv(type(self).__name__, groups, padding_mode)
        dtype = float_dtype(type(self).__name__, dtype)
        set_conv_sizes(self, in_channels, out_channels, kernel_size, stride, padding, dilation)
        self.output_padding = check_pair(type(self).__name__, "output_padding", output_padding, 0)
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= max(s, d):
                raise ValueError(f"{self.describe()}: output_padding must be smaller than stride or dilation, "
                                 f"got output_padding={self.output_padding}, stride={self.stride}, "
                                 f"dilation={self.dilation}")
        weight_init(type(self).__name__, None, weight_scale)
        rng = as_rng(rng)
        self.params["W"] = np.asarray(weight_scale * rng.standard_normal(
            (self.in_channels, self.out_channels) + self.kernel_size), dtype=dtype)
        if check_flag(type(self).__name__, "bias", bias):
            self.params["b"] = np.zeros(self.out_channels, dtype=dtype)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def describe(self):
        return (f"ConvTranspose2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, output_padding={self.output_padding}, "
                f"dilation={self.dilation})")

    def _sizes(self, h, w):
        """(full, out) sizes per axis: full = (H-1)*s + d*(k-1) + 1 before cropping the padding."""
        full = [(size - 1) * s + d * (k - 1) + 1 for size, s, d, k in
                zip((h, w), self.stride, self.dilation, self.kernel_size)]
        out = [f - 2 * p + op for f, p, op in zip(full, self.padding, self.output_padding)]
        return full, out

    def forward(self, x, training=None):
        x = self._input(x)
        spec = f"(N, {self.in_channels}, H, W)"
        check_ndim(self.describe(), x, (4,), spec)
        check_dim(self.describe(), x, 1, self.in_channels, spec)
        n, _, h, w = x.shape
        (kh, kw), (sh, sw), (dh, dw), (ph, pw) = self.kernel_size, self.stride, self.dilation, self.padding
        full, (oh, ow) = self._sizes(h, w)
        if oh < 1 or ow < 1:
            raise ValueError(f"{self.describe()}: input of shape {tuple(x.shape)} gives an empty output ({oh}x{ow})")
        W = self.params["W"].astype(x.dtype, copy=False)
        x2 = x.transpose(1, 0, 2, 3).reshape(self.in_channels, -1)                     # (C_in, N*H*W)
        cols = (W.reshape(self.in_channels, -1).T @ x2).reshape(self.out_channels, kh, kw, n, h, w)
        buf = np.zeros((n, self.out_channels, max(full[0], ph + oh), max(full[1], pw + ow)), dtype=x.dtype)
        for i in range(kh):
            for j in range(kw):
                buf[:, :, i * dh:i * dh + sh * (h - 1) + 1:sh, j * dw:j * dw + sw * (w - 1) + 1:sw] += \
                    cols[:, i, j].transpose(1, 0, 2, 3)
        out = buf[:, :, ph:ph + oh, pw:pw + ow]
        out = out + self.params["b"].astype(x.dtype, copy=False)[:, None, None] if "b" in self.params else out.copy()
        self._cache = (x2, x.shape, buf.shape)
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        x2, (n, c, h, w), buf_shape = self._cache
        (kh, kw), (sh, sw), (dh, dw), (ph, pw) = self.kernel_size, self.stride, self.dilation, self.padding
        oh, ow = dout.shape[2:]
        dbuf = np.zeros(buf_shape, dtype=dout.dtype)
        dbuf[:, :, ph:ph + oh, pw:pw + ow] = dout
        win = sliding_window_view(dbuf, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3))
        win = win[:, :, ::sh, ::sw, ::dh, ::dw][:, :, :h, :w]                    # (N, C_out, H, W, kh, kw)
        dcols = win.transpose(1, 4, 5, 0, 2, 3).reshape(self.out_channels * kh * kw, n * h * w)
        self._set_grad("W", (x2 @ dcols.T).reshape(self.params["W"].shape))
        if "b" in self.params:
            self._set_grad("b", dout.sum(axis=(0, 2, 3)))
        W = self.params["W"].astype(dout.dtype, copy=False)
        dx = (W.reshape(self.in_channels, -1) @ dcols).reshape(c, n, h, w)
        return np.ascontiguousarray(dx.transpose(1, 0, 2, 3))
