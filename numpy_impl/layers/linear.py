"""Affine layer and Flatten."""
import numpy as np

from ..checks import check_count, check_dim, check_flag, check_ndim, float_dtype, weight_init
from ..rng import as_rng
from .base import Layer



class Linear(Layer):
    """Affine layer ``out = x @ W + b``.

    x: (N, D_in) -> out: (N, D_out). ``W`` is (D_in, D_out) as in the classic code (torch's
    ``nn.Linear.weight`` is its transpose); ``b`` is (D_out,).
    Default init: normal with std ``weight_scale`` (the classic 0.01), bias zero; pass ``init`` (a
    function ``init(shape, rng, dtype)`` from ``numpy_impl.init``) for another.
    """

    def __init__(self, in_features, out_features, bias=True, weight_scale=1e-2, init=None,
                 rng=None, dtype=np.float64):
        super().__init__()
        dtype = float_dtype(type(self).__name__, dtype)
        self.in_features = check_count("Linear", "in_features", in_features)
        self.out_features = check_count("Linear", "out_features", out_features)
        init = weight_init("Linear", init, weight_scale)
        rng = as_rng(rng)
        if init is None:
            W = weight_scale * rng.standard_normal((self.in_features, self.out_features))
        else:
            W = init((self.in_features, self.out_features), rng=rng, dtype=dtype)
        self.params["W"] = np.asarray(W, dtype=dtype)
        self.grads["W"] = np.zeros_like(self.params["W"])
        if check_flag("Linear", "bias", bias):
            self.params["b"] = np.zeros(self.out_features, dtype=dtype)
            self.grads["b"] = np.zeros_like(self.params["b"])

    def describe(self):
        return f"Linear({self.in_features}, {self.out_features})"

    def forward(self, x, training=None):
        x = self._input(x)
        check_ndim(self.describe(), x, (2,), f"(N, {self.in_features})")
        check_dim(self.describe(), x, 1, self.in_features, f"(N, {self.in_features})")
        W = self.params["W"].astype(x.dtype, copy=False)
        out = x @ W
        if "b" in self.params:
            out += self.params["b"].astype(x.dtype, copy=False)      # in place on the fresh product
        self._cache = x
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout, input_grad=True):
        """``input_grad=False`` fills ``grads`` only and returns None (the first layer of a model)."""
        dout = self._dout(dout)
        x = self._cache
        self._set_grad("W", x.T @ dout)
        if "b" in self.params:
            self._set_grad("b", dout.sum(axis=0))
        if not input_grad:
            return None
        return dout @ self.params["W"].astype(dout.dtype, copy=False).T


class Flatten(Layer):
    """Flatten every axis after the first: (N, d1, d2, ...) -> (N, d1*d2*...)."""

    def forward(self, x, training=None):
        x = self._input(x)
        check_ndim(self.describe(), x, tuple(range(2, 8)), "(N, d1, ...)")   # (N,) would be N samples of 1 value
        self._cache = x.shape
        out = x.reshape(x.shape[0], int(np.prod(x.shape[1:])))      # not -1: N may be 0
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        return dout.reshape(self._cache).copy()    # its own array, as torch's x.grad: not a view of dout
