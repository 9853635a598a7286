"""GroupNorm and InstanceNorm2d (statistics per sample, so training and evaluation agree).

GroupNorm: x (N, C, *) with C split into ``num_groups`` groups of C/G channels; each (sample, group)
is normalised over its channels and all positions; gamma/beta are per channel (C,). This is also
the classic "spatial group norm" (cs231n's ``SpatialGroupNorm``, gamma of shape (1, C, 1, 1)):
the same computation on (N, C, H, W). G = 1 normalises each sample over (C, H, W) as LayerNorm
without its elementwise affine; G = C is InstanceNorm.

InstanceNorm2d: x (N, C, H, W), each (sample, channel) normalised over (H, W); ``affine=False``
and ``track_running_stats=False`` by default, as ``nn.InstanceNorm2d``.
"""
import numpy as np

from ..checks import check_count, check_dim, check_flag, check_ndim, check_number, float_dtype
from .base import Layer


def normalize_backward(dout, xhat, invstd, gamma, axes):
    """Input gradient of ``gamma * (x - mean) * invstd`` with statistics over ``axes``."""
    dxhat = dout * gamma if gamma is not None else dout
    mean_dxhat = dxhat.mean(axis=axes, keepdims=True)
    mean_dxhat_xhat = (dxhat * xhat).mean(axis=axes, keepdims=True)
    return (dxhat - mean_dxhat - xhat * mean_dxhat_xhat) * invstd


class GroupNorm(Layer):
    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, dtype=np.float64):
        super().__init__()
        dtype = float_dtype(type(self).__name__, dtype)
        self.num_groups = check_count("GroupNorm", "num_groups", num_groups)
        self.num_channels = check_count("GroupNorm", "num_channels", num_channels)
        self.eps = check_number("GroupNorm", "eps", eps, 0, low_open=True)
        self.affine = check_flag(type(self).__name__, "affine", affine)
        if self.num_groups < 1 or self.num_channels % self.num_groups:
            raise ValueError(f"{self.describe()}: num_channels must be divisible by num_groups, "
                             f"got {self.num_channels} channels in {self.num_groups} groups")
        if self.affine:
            self.params["gamma"] = np.ones(self.num_channels, dtype=dtype)
            self.params["beta"] = np.zeros(self.num_channels, dtype=dtype)
            self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def describe(self):
        return f"GroupNorm({self.num_groups}, {self.num_channels})"

    def _per_channel(self, name, x):
        return self.params[name].astype(x.dtype, copy=False).reshape((1, -1) + (1,) * (x.ndim - 2))

    def forward(self, x, training=None):
        x = self._input(x)
        spec = f"(N, {self.num_channels}, *)"
        check_ndim(self.describe(), x, tuple(range(2, 9)), spec)
        check_dim(self.describe(), x, 1, self.num_channels, spec)
        n = x.shape[0]
        per_group = int(np.prod(x.shape[1:])) // self.num_groups     # not -1: N may be 0
        g = x.reshape(n, self.num_groups, per_group)
        mean = g.mean(axis=2, keepdims=True)
        invstd = 1 / np.sqrt(g.var(axis=2, keepdims=True) + x.dtype.type(self.eps))
        xhat = ((g - mean) * invstd).reshape(x.shape)
        out = xhat * self._per_channel("gamma", x) + self._per_channel("beta", x) if self.affine else xhat
        self._cache = (xhat, invstd)
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        xhat, invstd = self._cache
        axes = (0,) + tuple(range(2, dout.ndim))
        dxhat = dout
        if self.affine:
            self._set_grad("gamma", (dout * xhat).sum(axis=axes))
            self._set_grad("beta", dout.sum(axis=axes))
            dxhat = dout * self._per_channel("gamma", dout)
        n = dout.shape[0]
        shape = (n, self.num_groups, int(np.prod(dout.shape[1:])) // self.num_groups)      # not -1: N may be 0
        grouped = normalize_backward(dxhat.reshape(shape), xhat.reshape(shape), invstd, None, (2,))
        return grouped.reshape(dout.shape)


class InstanceNorm2d(Layer):
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False,
                 dtype=np.float64):
        super().__init__()
        dtype = float_dtype(type(self).__name__, dtype)
        self.num_features = check_count("InstanceNorm2d", "num_features", num_features)
        self.eps = check_number("InstanceNorm2d", "eps", eps, 0, low_open=True)
        self.affine = check_flag(type(self).__name__, "affine", affine)
        if track_running_stats:
            raise NotImplementedError(f"{self.describe()}: track_running_stats=True is not implemented "
                                      "(torch's default, False, normalises with each instance's own statistics)")
        if self.affine:
            self.params["gamma"] = np.ones(self.num_features, dtype=dtype)
            self.params["beta"] = np.zeros(self.num_features, dtype=dtype)
            self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def describe(self):
        return f"InstanceNorm2d({self.num_features})"

    def forward(self, x, training=None):
        x = self._input(x)
        spec = f"(N, {self.num_features}, H, W)"
        check_ndim(self.describe(), x, (4,), spec)
        check_dim(self.describe(), x, 1, self.num_features, spec)
        if x.shape[2] * x.shape[3] == 1:            # each image normalised by itself: all zeros (torch refuses)
            raise ValueError(f"{self.describe()}: expected more than 1 spatial element per channel, got shape "
                             f"{tuple(x.shape)}")
        mean = x.mean(axis=(2, 3), keepdims=True)
        invstd = 1 / np.sqrt(x.var(axis=(2, 3), keepdims=True) + x.dtype.type(self.eps))
        xhat = (x - mean) * invstd
        if self.affine:
            out = xhat * self.params["gamma"].astype(x.dtype, copy=False)[:, None, None] + \
                self.params["beta"].astype(x.dtype, copy=False)[:, None, None]
        else:
            out = xhat
        self._cache = (xhat, invstd)
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        xhat, invstd = self._cache
        gamma = None
        if self.affine:
            self._set_grad("gamma", (dout * xhat).sum(axis=(0, 2, 3)))
            self._set_grad("beta", dout.sum(axis=(0, 2, 3)))
            gamma = self.params["gamma"].astype(dout.dtype, copy=False)[:, None, None]
        return normalize_backward(dout, xhat, invstd, gamma, (2, 3))
