"""More activations, as layers: GELU (exact and tanh), ELU, SELU, SiLU, Softplus, Mish, Softsign,
Hardtanh, ReLU6, Hardswish, Hardsigmoid, PReLU (a learnt slope), and Softmax / LogSoftmax over any axis.

x: any shape -> out: the same shape (Softmax / LogSoftmax: ``dim`` must be an axis of x). Each
follows torch's formula and torch's choice at the branch points:

* ELU / SELU: the gradient at exactly 0 takes the negative branch (``alpha``, ``scale * alpha``).
* Softplus: ``x`` where ``beta * x > threshold``, else ``log1p(exp(beta * x)) / beta`` (beta 1,
  threshold 20 by default); the gradient switches on the same test.
* Hardtanh / ReLU6 / Hardsigmoid: the gradient is 0 at and past either bound; Hardswish's is 0 up to
  -3, ``x / 3 + 1/2`` below 3, 1 from 3 on. At NaN Hardtanh, ReLU6 and Hardswish pass the gradient.
* PReLU: the gradient at exactly 0 takes the slope; the slope's gradient sums ``x * dout`` where x <= 0.
* GELU: ``approximate="none"`` is ``x * Phi(x)`` (erf from ``numpy_impl._special``),
  ``"tanh"`` is ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.
"""
import numpy as np

from ..checks import check_count, check_number, float_dtype
from ..special import erf
from .activations import _Elementwise
from .base import Layer

_SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)
_KAPPA = 0.044715


def _sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)


class GELU(_Elementwise):
    """Gaussian error linear unit, ``nn.GELU(approximate=...)``."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def describe(self):
        return f"GELU(approximate={self.approximate!r})"

    def _forward(self, x):
        if self.approximate == "tanh":
            t = np.tanh(_SQRT_2_OVER_PI * (x + _KAPPA * x * x * x)).astype(x.dtype, copy=False)
            self._cache = (x, t)
            return (0.5 * x * (1 + t)).astype(x.dtype, copy=False)
        cdf = (0.5 * (1 + erf(x.astype(np.float64) / np.sqrt(2.0))))
        self._cache = (x, cdf)
        return (x * cdf).astype(x.dtype, copy=False)

    def _backward(self, dout):
        x, aux = self._cache
        if self.approximate == "tanh":
            t = aux
            inner_grad = _SQRT_2_OVER_PI * (1 + 3 * _KAPPA * x * x)
            local = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner_grad
        else:
            pdf = _INV_SQRT_2PI * np.exp(-0.5 * x.astype(np.float64) ** 2)
            local = aux + x * pdf
        return (dout * local).astype(dout.dtype, copy=False)


class ELU(_Elementwise):
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise (``nn.ELU``, alpha 1)."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = check_number("ELU", "alpha", alpha)

    def describe(self):
        return f"ELU(alpha={self.alpha})"

    _scale = 1.0

    def _forward(self, x):
        pos = x > 0
        neg = np.expm1(np.where(pos, 0, x)) * x.dtype.type(self.alpha)
        self._cache = (pos, x)
        return (x.dtype.type(self._scale) * np.where(pos, x, neg)).astype(x.dtype, copy=False)

    def _backward(self, dout):
        pos, x = self._cache
        a, s = dout.dtype.type(self.alpha), dout.dtype.type(self._scale)
        local = np.where(pos, s, s * a * np.exp(np.where(pos, 0, x)))
        return (dout * local).astype(dout.dtype, copy=False)


class SELU(ELU):
    """``scale * ELU(x, alpha)`` with torch's constants (``nn.SELU``)."""

    def __init__(self):
        super().__init__(alpha=1.6732632423543772848170429916717)
        self._scale = 1.0507009873554804934193349852946

    def describe(self):
        return "SELU"


class SiLU(_Elementwise):
    """``x * sigmoid(x)`` (swish), ``nn.SiLU``."""

    def _forward(self, x):
        s = _sigmoid(x)
        self._cache = (x, s)
        return x * s

    def _backward(self, dout):
        x, s = self._cache
        return dout * (s * (1 + x * (1 - s)))


class Softplus(_Elementwise):
    """``log(1 + exp(beta x)) / beta``, linear where ``beta * x > threshold`` (``nn.Softplus``)."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = check_number("Softplus", "beta", beta), check_number("Softplus", "threshold", threshold)
        if self.beta == 0:
            raise ValueError("Softplus: beta must be a nonzero number, got 0")

    def describe(self):
        return f"Softplus(beta={self.beta}, threshold={self.threshold})"

    def _forward(self, x):
        bx = x * x.dtype.type(self.beta)
        linear = bx > self.threshold
        safe = np.where(linear, 0, bx)
        soft = (np.maximum(safe, 0) + np.log1p(np.exp(-np.abs(safe)))) / x.dtype.type(self.beta)
        self._cache = (linear, safe)
        return np.where(linear, x, soft).astype(x.dtype, copy=False)

    def _backward(self, dout):
        linear, safe = self._cache
        return np.where(linear, dout, dout * _sigmoid(safe)).astype(dout.dtype, copy=False)


class Mish(_Elementwise):
    """``x * tanh(softplus(x))`` (``nn.Mish``)."""

    def _forward(self, x):
        with np.errstate(invalid="ignore"):         # -inf * 0 is NaN, as torch's: no warning
            t = np.tanh(np.logaddexp(x.dtype.type(0), x))
            self._cache = (x, t)
            return x * t

    def _backward(self, dout):
        x, t = self._cache
        with np.errstate(invalid="ignore"):
            return (dout * (t + x * _sigmoid(x) * (1 - t * t))).astype(dout.dtype, copy=False)


class Softsign(_Elementwise):
    """``x / (1 + |x|)`` (``nn.Softsign``)."""

    def _forward(self, x):
        d = 1 + np.abs(x)
        self._cache = d
        return x / d

    def _backward(self, dout):
        d = self._cache
        return dout / (d * d)


class Hardtanh(_Elementwise):
    """``clip(x, min_val, max_val)`` (``nn.Hardtanh``, -1 and 1); its gradient is 0 at and past either
    bound, as torch's."""

    def __init__(self, min_val=-1.0, max_val=1.0):
        super().__init__()
        name = type(self).__name__
        self.min_val, self.max_val = check_number(name, "min_val", min_val), check_number(name, "max_val", max_val)
        if not self.max_val > self.min_val:
            raise ValueError(f"{name}: max_val must be greater than min_val, got min_val={min_val!r} "
                             f"max_val={max_val!r}")

    def describe(self):
        return f"Hardtanh(min_val={self.min_val}, max_val={self.max_val})"

    def _forward(self, x):
        lo, hi = x.dtype.type(self.min_val), x.dtype.type(self.max_val)
        self._cache = ~((x <= lo) | (x >= hi))      # NaN passes its gradient, as torch's
        return np.clip(x, lo, hi)

    def _backward(self, dout):
        return np.where(self._cache, dout, dout.dtype.type(0))


class ReLU6(Hardtanh):
    """``min(max(x, 0), 6)`` (``nn.ReLU6``): Hardtanh(0, 6)."""

    def __init__(self):
        super().__init__(0.0, 6.0)

    def describe(self):
        return "ReLU6"


class Hardswish(_Elementwise):
    """``x * relu6(x + 3) / 6`` (``nn.Hardswish``); the gradient is 0 up to -3 (included), ``x / 3 + 1/2``
    below 3, and 1 from 3 on (and at NaN), as torch's."""

    def _forward(self, x):
        t = x.dtype.type
        self._cache = x
        with np.errstate(invalid="ignore"):         # -inf * 0 is NaN, as torch's: no warning
            return x * np.clip(x + t(3), t(0), t(6)) / t(6)

    def _backward(self, dout):
        x, t = self._cache, dout.dtype.type
        local = np.where(x <= -3, t(0), np.where(x < 3, x / t(3) + t(0.5), t(1)))
        return (dout * local).astype(dout.dtype, copy=False)


class Hardsigmoid(_Elementwise):
    """``relu6(x + 3) / 6`` (``nn.Hardsigmoid``); the gradient 1/6 strictly between -3 and 3."""

    def _forward(self, x):
        t = x.dtype.type
        self._cache = (x > -3) & (x < 3)
        return np.clip(x + t(3), t(0), t(6)) / t(6)

    def _backward(self, dout):
        return np.where(self._cache, dout / dout.dtype.type(6), dout.dtype.type(0))


class PReLU(Layer):
    """``x`` for x > 0, ``alpha * x`` otherwise, the slope ``alpha`` learnt (``nn.PReLU``): one slope for
    every element, or one per channel, axis 1 of x (N, C, ...). x: any shape (one slope) or (N, C, ...)
    -> out: the same shape. params: alpha (num_parameters,), torch's ``weight``."""

    def __init__(self, num_parameters=1, init=0.25, dtype=np.float64):
        super().__init__()
        dtype = float_dtype("PReLU", dtype)
        self.num_parameters = check_count("PReLU", "num_parameters", num_parameters)
        self.init = check_number("PReLU", "init", init)
        self.params["alpha"] = np.full(self.num_parameters, self.init, dtype=dtype)
        self.grads["alpha"] = np.zeros_like(self.params["alpha"])

    def describe(self):
        return f"PReLU(num_parameters={self.num_parameters})" if self.num_parameters > 1 else "PReLU"

    def forward(self, x, training=None):
        x, c = self._input(x), self.num_parameters
        if c > 1 and (x.ndim < 2 or x.shape[1] != c):
            raise ValueError(f"{self.describe()}: expected input of shape (N, {c}, ...), one slope per channel "
                             f"on axis 1, got shape {tuple(x.shape)}")
        a = self.params.get("alpha")
        if not isinstance(a, np.ndarray) or a.dtype.kind != "f" or a.shape != (c,):
            what = (f"shape {a.shape} dtype {a.dtype}" if isinstance(a, np.ndarray) else
                    f"a {type(a).__name__}" if a is not None else "nothing")
            raise ValueError(f"{self.describe()}: params['alpha'] must be a float array of shape ({c},), got {what}")
        a = a.astype(x.dtype, copy=False)
        a = a.reshape((1, c) + (1,) * (x.ndim - 2)) if c > 1 else a.reshape(())
        pos = x > 0
        out = np.where(pos, x, a * x)
        self._cache = (x, pos, a)
        self._out_shape, self._out_dtype = out.shape, out.dtype
        return out

    def backward(self, dout):
        dout = self._dout(dout)
        x, pos, a = self._cache
        axes = tuple(i for i in range(x.ndim) if not (self.num_parameters > 1 and i == 1))
        self._set_grad("alpha", np.where(pos, 0, x * dout).sum(axis=axes).reshape(self.num_parameters))
        return np.where(pos, dout, a * dout)


class _SoftmaxBase(_Elementwise):
    def __init__(self, dim=-1):
        super().__init__()
        if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
            raise ValueError(f"{type(self).__name__}: dim must be an integer, got {dim!r}")
        self.dim = int(dim)

    def describe(self):
        return f"{type(self).__name__}(dim={self.dim})"

    def _axis(self, x):
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"{self.describe()}: dim {self.dim} is not an axis of the input: expected an "
                             f"input with at least {self.dim + 1 if self.dim >= 0 else -self.dim} dims, "
                             f"got shape {tuple(x.shape)} ({x.ndim}-D)")
        return self.dim % x.ndim

    def _log_softmax(self, x):
        ax = self._axis(x)
        shifted = x - x.max(axis=ax, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=ax, keepdims=True)), ax


class Softmax(_SoftmaxBase):
    """``exp(x) / sum(exp(x))`` along ``dim`` (``nn.Softmax(dim)``), shifted by the max."""

    def _forward(self, x):
        logp, ax = self._log_softmax(x)
        out = np.exp(logp)
        self._cache = (out, ax)
        return out

    def _backward(self, dout):
        y, ax = self._cache
        return y * (dout - (dout * y).sum(axis=ax, keepdims=True))


class LogSoftmax(_SoftmaxBase):
    """``x - logsumexp(x)`` along ``dim`` (``nn.LogSoftmax(dim)``)."""

    def _forward(self, x):
        out, ax = self._log_softmax(x)
        self._cache = (out, ax)
        return out

    def _backward(self, dout):
        y, ax = self._cache
        return dout - np.exp(y) * dout.sum(axis=ax, keepdims=True)
