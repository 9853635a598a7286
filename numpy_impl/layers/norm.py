"""BatchNorm1d / BatchNorm2d and LayerNorm.

BatchNorm1d: x (N, D); BatchNorm2d: x (N, C, H, W), statistics per channel over (N, H, W).
LayerNorm: statistics over the trailing ``normalized_shape`` dims of each sample.

``convention="torch"`` (default) is ``nn.BatchNorm*d``: ``momentum`` (0.1) is the weight of the
new batch statistic, running_var stores the UNBIASED batch variance (x M/(M-1), M values per
channel), and running stats start at mean 0, var 1. ``convention="classic"`` is the cs231n form:
``momentum`` (0.9) is the weight of the OLD value, running_var stores the biased variance and both
start at 0. Normalisation always uses the biased batch variance, as in both.
"""
import numpy as np

from .._checks import check_count, check_dim, check_ndim, check_number
from .base import Layer


def _normalize_backward(dout, xhat, invstd, gamma, axes):
    """Input gradient of ``gamma * (x - mean) * invstd`` with batch statistics over ``axes``."""
    dxhat = dout * gamma if gamma is not None else dout
    mean_dxhat = dxhat.mean(axis=axes, keepdims=True)
    mean_dxhat_xhat = (dxhat * xhat).mean(axis=axes, keepdims=True)
    return (dxhat - mean_dxhat - xhat * mean_dxhat_xhat) * invstd


class _BatchNorm(Layer):
    spec = ""
    ndims = ()

    def __init__(self, num_features, eps=1e-5, momentum=None, affine=True, convention="torch",
                 dtype=np.float64):
        super().__init__()
        if convention not in ("torch", "classic"):
            raise ValueError(f"{type(self).__name__}: convention must be 'torch' or 'classic', got {convention!r}")
        name = type(self).__name__
        self.num_features = check_count(name, "num_features", num_features)
        self.eps, self.convention = check_number(name, "eps", eps, 0, low_open=True), convention
        self.momentum = check_number(name, "momentum", momentum if momentum is not None else
                                     (0.1 if convention == "torch" else 0.9), 0, 1)
        self.affine = bool(affine)
        c = self.num_features
        if self.affine:
            self.params["gamma"] = np.ones(c, dtype=dtype)
            self.params["beta"] = np.zeros(c, dtype=dtype)
            self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        start_var = np.ones if convention == "torch" else np.zeros
        self.buffers["running_mean"] = np.zeros(c, dtype=dtype)
        self.buffers["running_var"] = start_var(c, dtype=dtype)

    def describe(self):
        return f"{type(self).__name__}({self.num_features})"

    def _axes(self, x):
        return (0,) if x.ndim == 2 else (0, 2, 3)

    def _shape(self, x):
        return (1, -1) if x.ndim == 2 else (1, -1, 1, 1)

    def _param(self, name, x):
        return self.params[name].astype(x.dtype, copy=False).reshape(self._shape(x))

    def forward(self, x, training=None):
        x = self._input(x)
        check_ndim(self.describe(), x, self.ndims, self.spec)
        check_dim(self.describe(), x, 1, self.num_features, self.spec)
        axes, shape = self._axes(x), self._shape(x)
        if self._mode(training):
            m = x.size // self.num_features
            if m < 2:
                raise ValueError(f"{self.describe()}: training needs more than 1 value per channel, "
                                 f"got input of shape {tuple(x.shape)}")
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            self._update_running(mean, var, m)
        else:
            mean = self.buffers["running_mean"].astype(x.dtype, copy=False)
            var = self.buffers["running_var"].astype(x.dtype, copy=False)
        invstd = (1 / np.sqrt(var + x.dtype.type(self.eps))).reshape(shape)
        xhat = (x - mean.reshape(shape)) * invstd
        out = xhat * self._param("gamma", x) + self._param("beta", x) if self.affine else xhat
        self._cache = (xhat, invstd, axes, self._mode(training))
        self._out_shape = out.shape
        return out

    def _update_running(self, mean, var, m):
        rm, rv = self.buffers["running_mean"], self.buffers["running_var"]
        mom = self.momentum
        if self.convention == "torch":
            rm[...] = (1 - mom) * rm + mom * mean
            rv[...] = (1 - mom) * rv + mom * var * (m / (m - 1))
        else:
            rm[...] = mom * rm + (1 - mom) * mean
            rv[...] = mom * rv + (1 - mom) * var

    def backward(self, dout):
        dout = self._dout(dout)
        xhat, invstd, axes, trained = self._cache
        gamma = self._param("gamma", dout) if self.affine else None
        if self.affine:
            self._set_grad("gamma", (dout * xhat).sum(axis=axes))
            self._set_grad("beta", dout.sum(axis=axes))
        if trained:
            return _normalize_backward(dout, xhat, invstd, gamma, axes)
        return dout * gamma * invstd if gamma is not None else dout * invstd


class BatchNorm1d(_BatchNorm):
    spec, ndims = "(N, D)", (2,)

    def describe(self):
        return f"BatchNorm1d({self.num_features})"


class BatchNorm2d(_BatchNorm):
    spec, ndims = "(N, C, H, W)", (4,)


class LayerNorm(Layer):
    """Normalises each sample over its trailing ``normalized_shape`` dims (``nn.LayerNorm``)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, dtype=np.float64):
        super().__init__()
        shape = (normalized_shape,) if np.isscalar(normalized_shape) else tuple(normalized_shape)
        self.normalized_shape = tuple(check_count("LayerNorm", "normalized_shape", v) for v in shape)
        if not self.normalized_shape:
            raise ValueError("LayerNorm: normalized_shape must hold at least one size, got ()")
        self.eps = check_number("LayerNorm", "eps", eps, 0, low_open=True)
        self.affine = bool(elementwise_affine)
        if self.affine:
            self.params["gamma"] = np.ones(self.normalized_shape, dtype=dtype)
            self.params["beta"] = np.zeros(self.normalized_shape, dtype=dtype)
            self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def describe(self):
        return f"LayerNorm({self.normalized_shape})"

    def forward(self, x, training=None):
        x = self._input(x)
        k = len(self.normalized_shape)
        if x.ndim <= k or tuple(x.shape[-k:]) != self.normalized_shape:
            raise ValueError(f"{self.describe()}: expected input of shape (N, ..., "
                             f"{', '.join(map(str, self.normalized_shape))}), got shape {tuple(x.shape)}")
        axes = tuple(range(x.ndim - k, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        invstd = 1 / np.sqrt(x.var(axis=axes, keepdims=True) + x.dtype.type(self.eps))
        xhat = (x - mean) * invstd
        out = xhat * self.params["gamma"].astype(x.dtype, copy=False) + \
            self.params["beta"].astype(x.dtype, copy=False) if self.affine else xhat
        self._cache = (xhat, invstd, axes)
        self._out_shape = out.shape
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        xhat, invstd, axes = self._cache
        lead = tuple(range(dout.ndim - len(axes)))
        gamma = self.params["gamma"].astype(dout.dtype, copy=False) if self.affine else None
        if self.affine:
            self._set_grad("gamma", (dout * xhat).sum(axis=lead))
            self._set_grad("beta", dout.sum(axis=lead))
        return _normalize_backward(dout, xhat, invstd, gamma, axes)
